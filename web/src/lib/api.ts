// The REST client: JSON in and out, the error envelope turned into ApiError, the bearer
// token attached, and one silent refresh-and-retry when the access token was refused.

import { SessionEndedError, type SessionManager } from './session';
import type {
  Attachment,
  ChatListItem,
  ChatView,
  DownloadGrant,
  Message,
  NotificationPage,
  OwnProfile,
  Page,
  PublicProfile,
  ReadCursor,
  TokenResponse,
  UploadGrant,
} from './types';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly retryAfterS: number | null;
  constructor(status: number, code: string, message: string, retryAfterS: number | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfterS = retryAfterS;
  }
  /** Worth trying again later: the server was busy or failing, not the request wrong. */
  get retryable(): boolean {
    return this.status === 429 || this.status >= 500;
  }
}

/** The request never got an answer (offline, connection refused, aborted). */
export class NetworkError extends Error {
  constructor(message = 'network error') {
    super(message);
    this.name = 'NetworkError';
  }
}

export type Query = Record<string, string | number | undefined | null>;

interface RequestOptions {
  body?: unknown;
  query?: Query;
  auth?: boolean;
}

export function buildQuery(q?: Query): string {
  if (!q) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export async function parseError(res: Response): Promise<ApiError> {
  let code = `http_${res.status}`;
  let message = res.statusText || 'request failed';
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    if (body?.error?.code) code = body.error.code;
    if (body?.error?.message) message = body.error.message;
  } catch {
    /* not JSON */
  }
  const ra = Number(res.headers.get('Retry-After'));
  return new ApiError(res.status, code, message, Number.isFinite(ra) && ra > 0 ? ra : null);
}

/** POST /auth/refresh without the session machinery (the session calls this). */
export function refreshRequest(fetchFn: FetchLike, base = '') {
  return async (refreshToken: string): Promise<TokenResponse> => {
    let res: Response;
    try {
      res = await fetchFn(`${base}/api/v1/auth/refresh`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ refresh_token: refreshToken }),
      });
    } catch {
      throw new NetworkError();
    }
    if (!res.ok) throw await parseError(res);
    return (await res.json()) as TokenResponse;
  };
}

export class Api {
  readonly session: SessionManager;
  private readonly fetchFn: FetchLike;
  private readonly base: string;

  constructor(session: SessionManager, fetchFn: FetchLike = (i, init) => fetch(i, init), base = '') {
    this.session = session;
    this.fetchFn = fetchFn;
    this.base = base;
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const auth = opts.auth ?? true;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = {};
      let token: string | undefined;
      if (auth) {
        token = await this.session.accessToken();
        headers.Authorization = `Bearer ${token}`;
      }
      if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
      let res: Response;
      try {
        res = await this.fetchFn(`${this.base}/api/v1${path}${buildQuery(opts.query)}`, {
          method,
          headers,
          body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
        });
      } catch {
        throw new NetworkError();
      }
      if (res.ok) {
        if (res.status === 204) return undefined as T;
        const text = await res.text();
        return (text ? JSON.parse(text) : undefined) as T;
      }
      const err = await parseError(res);
      if (auth && res.status === 401 && (err.code === 'token_expired' || err.code === 'invalid_token')) {
        if (attempt === 0) {
          await this.session.refresh(token); // throws SessionEndedError when refused
          continue;
        }
        this.session.end('expired');
        throw new SessionEndedError(err.message);
      }
      throw err;
    }
  }

  // ---- auth ----
  register(body: { email: string; username: string; password: string; display_name?: string }) {
    return this.request<{ user_id: string }>('POST', '/auth/register', { body, auth: false });
  }
  verify(email: string, code: string) {
    return this.request<{ verified: boolean }>('POST', '/auth/verify', { body: { email, code }, auth: false });
  }
  resendVerification(email: string) {
    return this.request<void>('POST', '/auth/verify/resend', { body: { email }, auth: false });
  }
  async login(email: string, password: string) {
    const tokens = await this.request<TokenResponse>('POST', '/auth/login', { body: { email, password }, auth: false });
    this.session.start(tokens);
    return tokens;
  }
  async logout(everywhere = false) {
    try {
      await this.request<void>('POST', everywhere ? '/auth/logout-all' : '/auth/logout');
    } finally {
      this.session.end('logout');
    }
  }
  forgotPassword(email: string) {
    return this.request<void>('POST', '/auth/password/forgot', { body: { email }, auth: false });
  }
  resetPassword(email: string, code: string, new_password: string) {
    return this.request<void>('POST', '/auth/password/reset', { body: { email, code, new_password }, auth: false });
  }
  changePassword(current_password: string, new_password: string) {
    return this.request<void>('POST', '/auth/password/change', { body: { current_password, new_password } });
  }

  // ---- users ----
  me() {
    return this.request<OwnProfile>('GET', '/users/me');
  }
  updateMe(body: { display_name?: string; bio?: string; avatar_url?: string }) {
    return this.request<OwnProfile>('PATCH', '/users/me', { body });
  }
  async deleteMe(password: string) {
    await this.request<void>('DELETE', '/users/me', { body: { password } });
    this.session.end('deleted');
  }
  user(id: string) {
    return this.request<PublicProfile>('GET', `/users/${encodeURIComponent(id)}`);
  }
  searchUsers(q: string, limit = 20) {
    return this.request<Page<PublicProfile>>('GET', '/users', { query: { q, limit } });
  }

  // ---- chats ----
  chats(cursor?: string | null, limit = 100) {
    return this.request<Page<ChatListItem>>('GET', '/chats', { query: { cursor, limit } });
  }
  chat(id: string) {
    return this.request<ChatView>('GET', `/chats/${encodeURIComponent(id)}`);
  }
  openDirect(user_id: string) {
    return this.request<ChatView>('POST', '/chats/direct', { body: { user_id } });
  }
  createGroup(name: string, member_ids: string[]) {
    return this.request<ChatView>('POST', '/chats/groups', { body: { name, member_ids } });
  }
  updateGroup(id: string, body: { name?: string; avatar_url?: string }) {
    return this.request<ChatView>('PATCH', `/chats/${encodeURIComponent(id)}`, { body });
  }
  addMember(id: string, user_id: string) {
    return this.request<ChatView>('POST', `/chats/${encodeURIComponent(id)}/members`, { body: { user_id } });
  }
  removeMember(id: string, user_id: string) {
    return this.request<void>('DELETE', `/chats/${encodeURIComponent(id)}/members/${encodeURIComponent(user_id)}`);
  }
  setRole(id: string, user_id: string, role: 'member' | 'admin') {
    return this.request<ChatView>('PATCH', `/chats/${encodeURIComponent(id)}/members/${encodeURIComponent(user_id)}`, {
      body: { role },
    });
  }
  transferOwnership(id: string, user_id: string) {
    return this.request<ChatView>('POST', `/chats/${encodeURIComponent(id)}/owner`, { body: { user_id } });
  }

  // ---- messages ----
  messages(chatId: string, q: { before?: number; after?: number; limit?: number } = {}) {
    return this.request<{ items: Message[] }>('GET', `/chats/${encodeURIComponent(chatId)}/messages`, { query: q });
  }
  sendMessage(
    chatId: string,
    body: { client_id: string; body?: string; reply_to?: string; mentions?: string[]; attachments?: Attachment[] },
  ) {
    return this.request<Message>('POST', `/chats/${encodeURIComponent(chatId)}/messages`, { body });
  }
  editMessage(chatId: string, messageId: string, body: string) {
    return this.request<Message>('PATCH', `/chats/${encodeURIComponent(chatId)}/messages/${encodeURIComponent(messageId)}`, {
      body: { body },
    });
  }
  deleteMessage(chatId: string, messageId: string) {
    return this.request<Message>('DELETE', `/chats/${encodeURIComponent(chatId)}/messages/${encodeURIComponent(messageId)}`);
  }
  setReaction(chatId: string, messageId: string, emoji: string) {
    return this.request<void>(
      'PUT',
      `/chats/${encodeURIComponent(chatId)}/messages/${encodeURIComponent(messageId)}/reaction`,
      { body: { emoji } },
    );
  }
  removeReaction(chatId: string, messageId: string) {
    return this.request<void>(
      'DELETE',
      `/chats/${encodeURIComponent(chatId)}/messages/${encodeURIComponent(messageId)}/reaction`,
    );
  }
  markRead(chatId: string, seq: number) {
    return this.request<ReadCursor>('POST', `/chats/${encodeURIComponent(chatId)}/read`, { body: { seq } });
  }
  markDelivered(chatId: string, seq: number) {
    return this.request<ReadCursor>('POST', `/chats/${encodeURIComponent(chatId)}/delivered`, { body: { seq } });
  }

  // ---- notifications ----
  notifications(cursor?: string | null, limit = 30) {
    return this.request<NotificationPage>('GET', '/notifications', { query: { cursor, limit } });
  }
  unreadNotifications() {
    return this.request<{ unread_count: number }>('GET', '/notifications/unread_count');
  }
  readNotification(id: string) {
    return this.request<void>('POST', `/notifications/${encodeURIComponent(id)}/read`);
  }
  readAllNotifications() {
    return this.request<{ marked: number }>('POST', '/notifications/read_all');
  }

  // ---- media ----
  requestUpload(file_name: string, content_type: string, size: number) {
    return this.request<UploadGrant>('POST', '/media/uploads', { body: { file_name, content_type, size } });
  }
  mediaUrl(chatId: string, key: string, name?: string) {
    return this.request<DownloadGrant>('GET', `/chats/${encodeURIComponent(chatId)}/media/${encodeURIComponent(key)}`, {
      query: { name },
    });
  }
}

/** A short, human sentence for an error shown in the UI. */
export function describeError(e: unknown): string {
  if (e instanceof NetworkError) return 'Cannot reach the server. Check your connection and try again.';
  if (e instanceof SessionEndedError) return 'Your session has ended. Please sign in again.';
  if (e instanceof ApiError) {
    switch (e.code) {
      case 'invalid_credentials':
        return 'Wrong e-mail or password.';
      case 'email_not_verified':
        return 'Please verify your e-mail address first.';
      case 'email_taken':
        return 'That e-mail address is already registered.';
      case 'username_taken':
        return 'That username is taken.';
      case 'weak_password':
        return 'That password is too weak: use at least 8 characters and avoid common passwords.';
      case 'invalid_code':
        return 'That code is not right.';
      case 'code_expired':
        return 'That code has expired. Ask for a new one.';
      case 'too_many_attempts':
        return 'Too many wrong codes. Ask for a new one.';
      case 'rate_limited':
        return e.retryAfterS ? `Too many attempts. Try again in ${e.retryAfterS} s.` : 'Too many attempts. Try again shortly.';
      case 'unsupported_content_type':
        return 'This kind of file cannot be sent.';
      case 'file_too_large':
        return 'This file is too large.';
      default:
        return e.message ? e.message.charAt(0).toUpperCase() + e.message.slice(1) : 'Something went wrong.';
    }
  }
  return e instanceof Error ? e.message : 'Something went wrong.';
}
