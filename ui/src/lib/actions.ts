// Small Svelte actions shared by the screens.

/** Focuses the element once it is in the document (each screen's first field); `enabled` false
 * leaves focus where it is. */
export function autofocus(node: HTMLElement, enabled: boolean = true): void {
  if (enabled) queueMicrotask(() => node.focus());
}
