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
      // Keep the card inside the viewport: flip to the other side of the pointer near an edge.
      const { width, height } = card.getBoundingClientRect();
      const left = clientX + OFFSET + width > window.innerWidth ? Math.max(4, clientX - OFFSET - width) : clientX + OFFSET;
      const top = clientY + OFFSET + height > window.innerHeight ? Math.max(4, clientY - OFFSET - height) : clientY + OFFSET;
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
