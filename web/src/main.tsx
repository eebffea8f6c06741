import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { ServicesContext } from './app/context';
import { Api, refreshRequest } from './lib/api';
import { browserLock, SESSION_KEY, SessionManager } from './lib/session';
import './styles.css';

const session = new SessionManager({
  storage: window.localStorage,
  refreshRequest: refreshRequest((input, init) => fetch(input, init)),
  lock: browserLock(),
});
// Another tab signed in, refreshed or signed out.
window.addEventListener('storage', (e) => {
  if (e.key === SESSION_KEY || e.key === null) session.storageChanged();
});
const api = new Api(session);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ServicesContext.Provider value={{ api, session }}>
      <App />
    </ServicesContext.Provider>
  </StrictMode>,
);
