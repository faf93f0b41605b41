// SOAP note versions: the chart holds every version; an amendment names the signed version it
// replaces. A chain is one note with its history, newest version first.

import type { Section, SoapNote, SoapText, NoteKind } from './types';

export interface NoteChain {
  latest: SoapNote;
  /** Earlier versions, newest first (empty for a note never amended). */
  history: SoapNote[];
}

export function groupVersions(notes: readonly SoapNote[]): NoteChain[] {
  const byId = new Map(notes.map((n) => [n.id, n]));
  const replaced = new Set(notes.map((n) => n.replaces).filter((id): id is string => id !== null));
  const chains: NoteChain[] = [];
  for (const note of notes) {
    if (replaced.has(note.id)) continue; // not the newest version of its chain
    const history: SoapNote[] = [];
    let previous = note.replaces ? byId.get(note.replaces) : undefined;
    while (previous && history.length < notes.length) {
      history.push(previous);
      previous = previous.replaces ? byId.get(previous.replaces) : undefined;
    }
    chains.push({ latest: note, history });
  }
  chains.sort((a, b) => b.latest.written_at.localeCompare(a.latest.written_at));
  return chains;
}

export function noteSection(kind: NoteKind): Section {
  return kind === 'nursing' ? 'nursing_notes' : 'notes';
}

export function emptySoap(): SoapText {
  return { subjective: '', objective: '', assessment: '', plan: '' };
}
