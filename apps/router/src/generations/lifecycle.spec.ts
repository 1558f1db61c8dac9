import { canTransition, sourcesOf, responseStatusOf, StoredStatus } from './lifecycle';

describe('generation lifecycle', () => {
  const all: StoredStatus[] = ['pending', 'processing', 'completed', 'failed', 'cancelled', 'incomplete'];
  it.each([
    ['pending', 'processing', true],
    ['pending', 'failed', true],
    ['processing', 'completed', true],
    ['processing', 'failed', true],
    ['processing', 'pending', false],
    ['completed', 'failed', false],
    ['failed', 'completed', false],
    ['completed', 'processing', false],
    ['cancelled', 'completed', false],
    ['pending', 'completed', false],
  ] as const)('%s → %s allowed: %s', (from, to, ok) => {
    expect(canTransition(from, to)).toBe(ok);
  });
  it('final states have no way out', () => {
    for (const from of ['completed', 'failed', 'cancelled', 'incomplete'] as const) for (const to of all) expect(canTransition(from, to)).toBe(false);
  });
  it('sourcesOf lists the guarded predecessors', () => {
    expect(sourcesOf('completed')).toEqual(['processing']);
    expect(sourcesOf('failed').sort()).toEqual(['pending', 'processing']);
  });
  it('maps the Responses vocabulary', () => {
    expect(responseStatusOf('pending')).toBe('queued');
    expect(responseStatusOf('processing')).toBe('in_progress');
    expect(responseStatusOf('cancelled')).toBe('cancelled');
  });
});
