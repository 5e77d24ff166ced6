/**
 * A hover card as a real DOM element (role="tooltip"), not pixels on a canvas: its text can be
 * selected, read by screen readers through aria-describedby, and checked by the tests.
 */
import { uniqueId } from './dom';

export interface Tooltip {
  readonly element: HTMLElement;
  /** Replaces the content and places the card next to the point (client coordinates). */
  show(content: readonly Node[], clientX: number, clientY: number): void;
  hide(): void;
  dispose(): void;
}

const OFFSET = 14;
/** The least gap between the card and the viewport's edge. */
const MARGIN = 4;

export function createTooltip(className: string): Tooltip {
  const card = document.createElement('div');
  card.className = `tooltip ${className}`;
  card.id = uniqueId(className);
  card.setAttribute('role', 'tooltip');
  card.hidden = true;
  document.body.append(card);
  return {
    element: card,
    show(content, clientX, clientY) {
      card.replaceChildren(...content);
      card.hidden = false;
      // Measured at the viewport's left edge: a fixed box placed further right is only as wide as
      // the room left of it there, and its table would spill past its border.
      card.style.left = '0px';
      card.style.top = '0px';
      const { width, height } = card.getBoundingClientRect();
      // Keep the card inside the viewport: flip to the other side of the pointer near an edge, and
      // never past the far edge when neither side has room.
      const flip = (at: number, size: number, room: number) =>
        Math.max(MARGIN, Math.min(room - MARGIN - size, at + OFFSET + size > room ? at - OFFSET - size : at + OFFSET));
      const left = flip(clientX, width, document.documentElement.clientWidth);
      const top = flip(clientY, height, window.innerHeight);
      card.style.left = `${left}px`;
      card.style.top = `${top}px`;
    },
    hide() {
      card.hidden = true;
    },
    dispose() {
      card.remove();
    },
  };
}
