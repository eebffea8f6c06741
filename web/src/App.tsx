import { useEffect, useState, useSyncExternalStore } from 'react';
import { navigate, useRoute } from './app/router';
import { SignedInContext, useServices, type SignedIn } from './app/context';
import { MediaUrls } from './lib/media';
import { PROTOCOL_VERSION, RealtimeClient, type WebSocketLike } from './lib/realtime';
import type { EndReason } from './lib/session';
import { Store } from './lib/store';
import { Forgot, Reset, SignIn, SignUp, Verify } from './screens/AuthScreens';
import { Shell } from './screens/Shell';

const AUTH_PATHS = new Set(['login', 'signup', 'verify', 'forgot', 'reset']);
let lastEnd: EndReason | undefined;

function wsUrl(token: string): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/ws?protocol=${PROTOCOL_VERSION}&access_token=${encodeURIComponent(token)}`;
}

function SignedInApp() {
  const { api, session } = useServices();
  const [ctx] = useState<SignedIn>(() => {
    const store = new Store({
      api,
      storage: window.localStorage,
      realtime: (h) =>
        new RealtimeClient({
          url: wsUrl,
          token: () => session.accessToken(),
          refresh: async (stale) => (await session.refresh(stale)).accessToken,
          connect: (url) => new WebSocket(url) as unknown as WebSocketLike,
          onFrame: h.onFrame,
          onOpen: h.onOpen,
          onState: h.onState,
          onSessionEnded: h.onSessionEnded,
        }),
      onSessionEnded: () => session.end('expired'),
    });
    const media = new MediaUrls((chatId, key, name) => api.mediaUrl(chatId, key, name));
    return { store, media };
  });

  useEffect(() => {
    const { store } = ctx;
    void store.start();
    const onVisibility = () => store.setVisible(document.visibilityState === 'visible');
    const onOnline = () => store.setNetwork(true);
    const onOffline = () => store.setNetwork(false);
    onVisibility();
    document.addEventListener('visibilitychange', onVisibility);
    window.addEventListener('focus', onVisibility);
    window.addEventListener('online', onOnline);
    window.addEventListener('offline', onOffline);
    return () => {
      document.removeEventListener('visibilitychange', onVisibility);
      window.removeEventListener('focus', onVisibility);
      window.removeEventListener('online', onOnline);
      window.removeEventListener('offline', onOffline);
      store.stop();
    };
  }, [ctx]);

  return (
    <SignedInContext.Provider value={ctx}>
      <Shell onRetry={() => ctx.store.reconnectNow()} />
    </SignedInContext.Provider>
  );
}

export function App() {
  const { session } = useServices();
  const route = useRoute();
  const userId = useSyncExternalStore(
    (l) =>
      session.subscribe((_s, reason) => {
        if (reason) lastEnd = reason;
        l();
      }),
    () => (session.signedIn ? session.current?.userId ?? null : null),
  );
  const first = route.parts[0] ?? '';

  useEffect(() => {
    if (userId && (first === '' || AUTH_PATHS.has(first))) navigate('/chats', { replace: true });
    if (!userId && !AUTH_PATHS.has(first)) {
      const notice =
        lastEnd === 'expired'
          ? '?notice=' + encodeURIComponent('Your session has ended. Please sign in again.')
          : lastEnd === 'deleted'
            ? '?notice=' + encodeURIComponent('Your account was deleted.')
            : '';
      navigate(`/login${notice}`, { replace: true });
    }
  }, [userId, first]);

  if (userId) return <SignedInApp key={userId} />;
  switch (first) {
    case 'signup':
      return <SignUp />;
    case 'verify':
      return <Verify />;
    case 'forgot':
      return <Forgot />;
    case 'reset':
      return <Reset />;
    default:
      return <SignIn />;
  }
}
