import {
  estimateInputTokens, IMAGE_PART_TOKENS, MESSAGE_OVERHEAD_TOKENS, outputCap, REQUEST_OVERHEAD_TOKENS, responseTokenHold, textTokens, unreportedUsageTokens, VIDEO_PART_TOKENS,
} from './token-hold';

const kimi = { inputPerMillionUsd: 0.6, outputPerMillionUsd: 3, inputPerMillionCents: 60, outputPerMillionCents: 300 };
const sonnet = { inputPerMillionUsd: 3, outputPerMillionUsd: 15, inputPerMillionCents: 300, outputPerMillionCents: 1500 };
const BASE = REQUEST_OVERHEAD_TOKENS + MESSAGE_OVERHEAD_TOKENS;

describe('textTokens: UTF-8 bytes / 3, rounded up', () => {
  it.each([
    ['', 0],
    ['a', 1],
    ['abc', 1],
    ['abcd', 2],
    ['é', 1], // 2 bytes
    ['日本語', 3], // 9 bytes: about one token per CJK character
    ['😀', 2], // 4 bytes
  ])('%p → %p', (text, tokens) => {
    expect(textTokens(text)).toBe(tokens);
  });

  it('is above what typical tokenizers take for English prose (~4 characters per token)', () => {
    const prose = 'A cat walks along the beach at sunset while the waves roll in slowly. '.repeat(100);
    expect(textTokens(prose)).toBeGreaterThan(Math.ceil(prose.length / 4));
  });
});

describe('estimateInputTokens', () => {
  it('a prompt string: overhead + one message + its text', () => {
    expect(estimateInputTokens({ input: 'x'.repeat(300) })).toBe(BASE + 100);
  });

  it('grows with the input: 64k characters (input + instructions) hold ~21k more tokens than a short prompt', () => {
    const big = estimateInputTokens({ input: 'x'.repeat(32_000), instructions: 'y'.repeat(32_000) });
    expect(big).toBe(REQUEST_OVERHEAD_TOKENS + 2 * MESSAGE_OVERHEAD_TOKENS + 2 * Math.ceil(32_000 / 3));
    expect(big - estimateInputTokens({ input: 'x' })).toBeGreaterThan(21_000);
  });

  it('array form: string content, input_text parts, instructions; media by allowance, never by the size of their URL', () => {
    const dataUri = `data:image/png;base64,${'A'.repeat(500_000)}`;
    const req = {
      instructions: 'abcdef', // 2
      input: [
        { role: 'system', content: 'x'.repeat(30) }, // 10
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'y'.repeat(60) }, // 20
            { type: 'input_image', image_url: dataUri },
            { type: 'input_image', image_url: { url: 'https://example.com/logo.png' } },
            { type: 'input_video', video_url: 'https://example.com/clip.mp4' },
          ],
        },
      ],
    };
    expect(estimateInputTokens(req)).toBe(REQUEST_OVERHEAD_TOKENS + 3 * MESSAGE_OVERHEAD_TOKENS + 2 + 10 + 20 + 2 * IMAGE_PART_TOKENS + VIDEO_PART_TOKENS);
  });

  it('tolerates malformed items (the gateway refuses them; the estimate must not throw)', () => {
    expect(estimateInputTokens({ input: [null as any, 7 as any, { role: 'user' }] })).toBe(REQUEST_OVERHEAD_TOKENS + MESSAGE_OVERHEAD_TOKENS);
  });
});

describe('outputCap', () => {
  it("the request's max_output_tokens, else the default", () => {
    expect(outputCap({ max_output_tokens: 500 }, 20_000)).toBe(500);
    expect(outputCap({}, 20_000)).toBe(20_000);
  });
  it.each([0, -1, 1.5, Number.NaN, '100' as any])('%p is a bad request', (cap) => {
    expect(() => outputCap({ max_output_tokens: cap }, 20_000)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST', message: expect.stringMatching(/max_output_tokens/) }));
  });
});

describe('responseTokenHold: estimated input + output cap at the model rates', () => {
  it('prices the tokens with tokenCost (cents rounded up, USD exact)', () => {
    // input 1,010 + 10,000 = 11,010 tokens, output 20,000:
    // 11,010 × 60/1M + 20,000 × 300/1M = 0.6606 + 6 = 6.6606 cents → 7; USD 0.006606 + 0.06 = 0.066606
    expect(responseTokenHold(kimi, { input: 'x'.repeat(30_000) }, 20_000)).toEqual({ inputTokens: 11_010, outputTokens: 20_000, holdCents: 7, costUsd: 0.066606 });
  });

  it('the output cap is part of the hold: a smaller cap holds less', () => {
    const dflt = responseTokenHold(sonnet, { input: 'a logo reveal' }, 20_000);
    const capped = responseTokenHold(sonnet, { input: 'a logo reveal', max_output_tokens: 1_000 }, 20_000);
    expect(dflt.holdCents).toBe(31); // 1,015 × 300/1M + 20,000 × 1500/1M = 0.3045 + 30
    expect(capped).toMatchObject({ outputTokens: 1_000, holdCents: 2 }); // 0.3045 + 1.5
  });

  it('a large input holds proportionally more than a small one', () => {
    const small = responseTokenHold(sonnet, { input: 'x' }, 20_000);
    const large = responseTokenHold(sonnet, { input: 'x'.repeat(32_000), instructions: 'y'.repeat(32_000) }, 20_000);
    // ~21.3k more input tokens at $3 per million: about 6.4 cents more
    expect(large.holdCents - small.holdCents).toBeGreaterThanOrEqual(6);
    expect(large.inputTokens - small.inputTokens).toBe(2 * Math.ceil(32_000 / 3) + MESSAGE_OVERHEAD_TOKENS - 1);
  });

  it('holds at least one cent', () => {
    const free = { inputPerMillionUsd: 0, outputPerMillionUsd: 0, inputPerMillionCents: 0, outputPerMillionCents: 0 };
    expect(responseTokenHold(free, { input: 'x' }, 1).holdCents).toBe(1);
  });
});

describe('unreportedUsageTokens: the no-usage rule charges what the hold assumed', () => {
  it('the estimated input and the cap stored with the request', () => {
    const stored = { input: 'x'.repeat(300), max_output_tokens: 4_000 };
    expect(unreportedUsageTokens(stored, 20_000)).toEqual({ inputTokens: BASE + 100, outputTokens: 4_000 });
    const hold = responseTokenHold(kimi, stored, 20_000);
    expect(unreportedUsageTokens(stored, 20_000)).toEqual({ inputTokens: hold.inputTokens, outputTokens: hold.outputTokens });
  });
  it('a request stored before the cap existed: the default cap', () => {
    expect(unreportedUsageTokens({ input: 'abc' }, 20_000)).toEqual({ inputTokens: BASE + 1, outputTokens: 20_000 });
  });
});
