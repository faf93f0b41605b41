import { describe, expect, it } from 'vitest';
import { groupVersions } from '../src/lib/notes';
import type { SoapNote } from '../src/lib/types';

function note(id: string, version: number, replaces: string | null, at: string, status: SoapNote['status'] = 'signed'): SoapNote {
  return {
    id,
    patient_id: 'p',
    encounter_id: 'e',
    kind: 'medical',
    author: 'dr',
    text: { subjective: id, objective: '', assessment: '', plan: '' },
    status,
    version,
    replaces,
    written_at: at,
    signed_at: status === 'signed' ? at : null,
    signed_by: status === 'signed' ? 'dr' : null,
  };
}

describe('note versions', () => {
  it('show an amended note once, newest version first, with its history', () => {
    const notes = [
      note('a1', 1, null, '2026-11-01T01:00:00Z'),
      note('a2', 2, 'a1', '2026-11-01T02:00:00Z'),
      note('a3', 3, 'a2', '2026-11-01T03:00:00Z', 'draft'),
      note('b1', 1, null, '2026-11-02T01:00:00Z'),
    ];
    const chains = groupVersions(notes);
    expect(chains.map((c) => c.latest.id)).toEqual(['b1', 'a3']);
    expect(chains[1]?.history.map((n) => n.id)).toEqual(['a2', 'a1']);
    expect(chains[0]?.history).toEqual([]);
  });

  it('survive a version whose predecessor the reader may not see', () => {
    const chains = groupVersions([note('x2', 2, 'hidden', '2026-11-01T00:00:00Z')]);
    expect(chains).toHaveLength(1);
    expect(chains[0]?.history).toEqual([]);
  });
});
