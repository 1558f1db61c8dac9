import { jsonBodyProblem, MAX_JSON_DEPTH } from './json-body';

describe('jsonBodyProblem', () => {
  const parsed = (raw: string) => jsonBodyProblem(JSON.parse(raw), raw);
  const nest = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

  it('accepts the limit and refuses one level more, at any depth, without overflowing itself', () => {
    expect(parsed(nest(MAX_JSON_DEPTH))).toBeUndefined(); // the outer object is level 1
    expect(parsed(nest(MAX_JSON_DEPTH + 1))).toMatch(/nested more than 64 levels deep \(at a(\.a)+\)/);
    expect(parsed(`[${nest(100_000)}]`)).toMatch(/nested more than 64 levels/);
  });

  it('names a lone surrogate in a value or a key; pairs and ordinary text pass', () => {
    expect(parsed('{"prompt":"x \\ud800 y"}')).toMatch(/^prompt holds a lone UTF-16 surrogate/);
    expect(parsed('{"input":[{"content":[{"text":"\\udfff"}]}]}')).toMatch(/^input\[0\]\.content\[0\]\.text holds/);
    expect(parsed('{"metadata":{"\\ud800":"v"}}')).toMatch(/^metadata\.\ud800 holds/);
    expect(parsed('"\\udc00"')).toMatch(/^The body holds/);
    expect(parsed('{"prompt":"a cat \\ud83d\\ude00 on a beach"}')).toBeUndefined();
    expect(parsed('{"prompt":"a cat 😀 on a beach","escaped":"\\\\ud800 is only text here"}')).toBeUndefined();
  });
});
