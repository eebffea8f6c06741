// A small client-side router over the History API: the server answers every client route
// with index.html, so deep links and reloads land on the right screen.

import { useSyncExternalStore } from 'react';

const listeners = new Set<() => void>();

function notify(): void {
  for (const l of [...listeners]) l();
}

if (typeof window !== 'undefined') window.addEventListener('popstate', notify);

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  const current = location.pathname + location.search;
  if (to === current) return;
  if (opts.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  notify();
}

function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

const snapshot = () => location.pathname + location.search;

export interface Route {
  path: string;
  query: URLSearchParams;
  /** The parts of the path, e.g. ['chats', '123', 'settings']. */
  parts: string[];
}

export function parseRoute(href: string): Route {
  const u = new URL(href, 'http://x');
  return { path: u.pathname, query: u.searchParams, parts: u.pathname.split('/').filter(Boolean).map(decodeURIComponent) };
}

export function useRoute(): Route {
  const href = useSyncExternalStore(subscribe, snapshot, snapshot);
  return parseRoute(href);
}
