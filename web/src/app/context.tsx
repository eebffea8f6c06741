import { createContext, useContext, useSyncExternalStore } from 'react';
import type { Api } from '../lib/api';
import type { MediaUrls } from '../lib/media';
import type { SessionManager } from '../lib/session';
import type { AppState, Store } from '../lib/store';

export interface Services {
  api: Api;
  session: SessionManager;
}

export const ServicesContext = createContext<Services | null>(null);

export function useServices(): Services {
  const s = useContext(ServicesContext);
  if (!s) throw new Error('ServicesContext missing');
  return s;
}

export interface SignedIn {
  store: Store;
  media: MediaUrls;
}

export const SignedInContext = createContext<SignedIn | null>(null);

export function useSignedIn(): SignedIn {
  const s = useContext(SignedInContext);
  if (!s) throw new Error('SignedInContext missing');
  return s;
}

export function useStore(): Store {
  return useSignedIn().store;
}

/** A slice of the app state; `select` must return stored values (not new objects). */
export function useAppState<T>(select: (s: AppState) => T): T {
  const store = useStore();
  return useSyncExternalStore(store.subscribe, () => select(store.state));
}
