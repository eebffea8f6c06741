// The client's state and the rules that keep it right: the chat list ordered by activity,
// each chat's timeline (seq order, no duplicates, optimistic sends settled by client_id),
// receipts, typing, presence, notifications, and catch-up after every (re)connect. No
// React here: components subscribe to snapshots (useSyncExternalStore), tests drive it
// with fake transports.

import { ApiError, NetworkError, type Api } from './api';
import { Outbox, type OutboxItem, type OutboxTransport, type StoredAck } from './outbox';
import type { ConnectionState, RequestOptions } from './realtime';
import { SessionEndedError, type KeyValueStorage } from './session';
import {
  addPending,
  applyDeleted,
  applyReaction,
  contiguousHigh,
  emptyTimeline,
  firstGap,
  lastSeq,
  mergeMessages,
  mergeNewest,
  mergeOlder,
  removePending,
  resetTo,
  storedFromAck,
  updatePending,
  type PendingMessage,
  type Timeline,
} from './timeline';
import type {
  AckFrame,
  Attachment,
  ChatListItem,
  ChatView,
  Message,
  Notification,
  OwnProfile,
  PresenceState,
  PublicProfile,
  ReadCursor,
  ServerFrame,
} from './types';

export const PAGE = 50;
/** Messages one sync frame may expect to replay (well under the server's queue of 1024). */
export const SYNC_BATCH = 300;

/** The part of RealtimeClient the store uses. */
export interface RealtimeLike {
  readonly isOpen: boolean;
  start(): void;
  stop(): void;
  send(frame: Record<string, unknown>): boolean;
  request(frame: Record<string, unknown>, opts?: RequestOptions): Promise<AckFrame>;
  reconnectNow?(): void;
  setNetwork?(online: boolean): void;
}

export interface RealtimeHandlers {
  onFrame: (f: ServerFrame) => void;
  onOpen: () => void;
  onState: (s: ConnectionState) => void;
  onSessionEnded: () => void;
}

export interface StoreTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(h: unknown): void;
}

export interface StoreDeps {
  api: Api;
  realtime: (handlers: RealtimeHandlers) => RealtimeLike;
  storage?: KeyValueStorage;
  timers?: StoreTimers;
  now?: () => number;
  random?: () => number;
  /** The session ended (refused refresh): the app goes back to sign-in. */
  onSessionEnded?: () => void;
}

export interface AppState {
  me: OwnProfile | null;
  connection: ConnectionState;
  /** Whether the socket caught up after its last (re)connect. */
  synced: boolean;
  chats: Record<string, ChatListItem>;
  chatOrder: string[];
  chatsLoaded: boolean;
  details: Record<string, ChatView>;
  timelines: Record<string, Timeline>;
  loadingOlder: Record<string, boolean>;
  users: Record<string, PublicProfile>;
  presence: Record<string, PresenceState>;
  /** chat → user → when the indicator expires (ms). */
  typing: Record<string, Record<string, number>>;
  /** chat → user → cursors seen in receipts. */
  receipts: Record<string, Record<string, ReadCursor>>;
  notifications: Notification[];
  notificationsCursor: string | null;
  notificationsLoaded: boolean;
  unreadNotifications: number;
  activeChatId: string | null;
  visible: boolean;
  /** Chats the user was removed from while looking at them. */
  removedChats: Record<string, true>;
}

export const initialState: AppState = {
  me: null,
  connection: 'stopped',
  synced: false,
  chats: {},
  chatOrder: [],
  chatsLoaded: false,
  details: {},
  timelines: {},
  loadingOlder: {},
  users: {},
  presence: {},
  typing: {},
  receipts: {},
  notifications: [],
  notificationsCursor: null,
  notificationsLoaded: false,
  unreadNotifications: 0,
  activeChatId: null,
  visible: true,
  removedChats: {},
};

/** Newest activity first; ties by id, newest first. */
export function compareChats(a: ChatListItem, b: ChatListItem): number {
  const ta = Date.parse(a.last_activity_at) || 0;
  const tb = Date.parse(b.last_activity_at) || 0;
  if (ta !== tb) return tb - ta;
  if (a.id.length !== b.id.length) return b.id.length - a.id.length;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

export function orderChats(chats: Record<string, ChatListItem>): string[] {
  return Object.values(chats)
    .sort(compareChats)
    .map((c) => c.id);
}

export function listItemFromView(v: ChatView, me: string): ChatListItem {
  const partner = v.kind === 'direct' ? v.members.find((m) => m.user_id !== me) : undefined;
  return {
    id: v.id,
    kind: v.kind,
    name: v.name,
    avatar_url: v.avatar_url,
    created_by: v.created_by,
    created_at: v.created_at,
    updated_at: v.updated_at,
    last_activity_at: v.last_activity_at,
    last_message: null,
    last_seq: 0,
    read_seq: 0,
    unread_count: 0,
    member_ids: v.kind === 'direct' ? v.members.map((m) => m.user_id) : [],
    presence: partner ? { user_id: partner.user_id, online: partner.online, last_seen: partner.last_seen } : null,
  };
}

function later(a: string, b: string): string {
  return (Date.parse(b) || 0) > (Date.parse(a) || 0) ? b : a;
}

export class Store {
  state: AppState = initialState;
  readonly api: Api;
  private readonly deps: StoreDeps;
  private readonly timers: StoreTimers;
  private readonly now: () => number;
  private listeners = new Set<() => void>();
  private rt: RealtimeLike | null = null;
  private outbox: Outbox | null = null;
  private userRequests = new Set<string>();
  private deliveredTimers = new Map<string, unknown>();
  private deliveredWanted = new Map<string, number>();
  private readSent = new Map<string, number>();
  private typingSentAt = new Map<string, number>();
  private typingTimer: unknown = null;
  private chatListTimer: unknown = null;
  private countTimer: unknown = null;
  private gapFilling = new Set<string>();
  private newestLoading = new Map<string, Promise<void>>();
  private started = false;

  constructor(deps: StoreDeps) {
    this.deps = deps;
    this.api = deps.api;
    this.timers = deps.timers ?? {
      setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
      clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
    };
    this.now = deps.now ?? Date.now;
  }

  // ---- subscription ----

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getState = (): AppState => this.state;

  private set(patch: Partial<AppState>): void {
    this.state = { ...this.state, ...patch };
    for (const l of [...this.listeners]) l();
  }

  private get meId(): string {
    return this.state.me?.id ?? this.deps.api.session.current?.userId ?? '';
  }

  // ---- life cycle ----

  /** Loads the signed-in user's world and connects. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const userId = this.deps.api.session.current?.userId ?? '';
    this.outbox = new Outbox({
      transport: this.outboxTransport(),
      onChange: (item, removed) => this.outboxChanged(item, removed),
      onStored: (item, stored) => this.outboxStored(item, stored),
      storage: this.deps.storage,
      storageKey: this.deps.storage ? `parley.outbox.${userId}` : undefined,
      timers: this.timers,
      random: this.deps.random,
    });
    // Messages left unsent by an earlier page show again as pending.
    for (const item of this.outbox.all) this.outboxChanged(item, false);
    this.rt = this.deps.realtime({
      onFrame: (f) => this.handleFrame(f),
      onOpen: () => void this.caughtUp(),
      onState: (s) => this.set({ connection: s, synced: s === 'online' ? this.state.synced : false }),
      onSessionEnded: () => this.sessionEnded(),
    });
    this.rt.start();
    await Promise.all([
      this.guard(this.loadMe()),
      this.guard(this.loadChats()),
      this.guard(this.loadNotifications()),
    ]);
  }

  stop(): void {
    this.started = false;
    this.rt?.stop();
    this.rt = null;
    for (const t of [this.typingTimer, this.chatListTimer, this.countTimer, ...this.deliveredTimers.values()])
      this.timers.clearTimeout(t);
    this.deliveredTimers.clear();
    this.state = initialState;
  }

  /** The user asked to reconnect now (or the network came back). */
  reconnectNow(): void {
    this.rt?.reconnectNow?.();
  }

  setNetwork(online: boolean): void {
    this.rt?.setNetwork?.(online);
    if (online) this.outbox?.flush();
  }

  private sessionEnded(): void {
    this.deps.onSessionEnded?.();
  }

  /** Runs a background load; a refused session ends the app, other failures are retried later. */
  private async guard(p: Promise<unknown>): Promise<void> {
    try {
      await p;
    } catch (e) {
      if (e instanceof SessionEndedError) this.sessionEnded();
    }
  }

  async loadMe(): Promise<void> {
    const me = await this.api.me();
    this.set({ me, users: { ...this.state.users, [me.id]: { ...me } } });
  }

  setMe(me: OwnProfile): void {
    this.set({ me, users: { ...this.state.users, [me.id]: { ...me } } });
  }

  async loadChats(): Promise<void> {
    const items: ChatListItem[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const res: { items: ChatListItem[]; next_cursor: string | null } = await this.api.chats(cursor, 100);
      items.push(...res.items);
      cursor = res.next_cursor;
      if (!cursor) break;
    }
    const chats: Record<string, ChatListItem> = {};
    const presence = { ...this.state.presence };
    for (const c of items) {
      const old = this.state.chats[c.id];
      // A live message newer than this snapshot stays.
      chats[c.id] = old && old.last_seq > c.last_seq ? { ...c, ...pickLive(old) } : c;
      if (c.presence) presence[c.presence.user_id] = { online: c.presence.online, last_seen: c.presence.last_seen };
    }
    this.set({ chats, chatOrder: orderChats(chats), chatsLoaded: true, presence });
    if (this.state.activeChatId) this.markRead(this.state.activeChatId);
    const people = items.flatMap((c) => [...c.member_ids, ...(c.last_message ? [c.last_message.sender_id] : [])]);
    this.ensureUsers(people);
  }

  private scheduleChatListReload(): void {
    if (this.chatListTimer) return;
    this.chatListTimer = this.timers.setTimeout(() => {
      this.chatListTimer = null;
      void this.guard(this.loadChats());
    }, 300);
  }

  /** Fetches the profiles of users not known yet (for names and avatars). */
  ensureUsers(ids: Iterable<string>): void {
    for (const id of ids) {
      if (!id || this.state.users[id] || this.userRequests.has(id)) continue;
      this.userRequests.add(id);
      this.api.user(id).then(
        (u) => {
          this.set({ users: { ...this.state.users, [id]: u } });
        },
        (e: unknown) => {
          if (e instanceof ApiError && e.status === 404) {
            // A deleted account: show it as such instead of asking again.
            this.set({
              users: {
                ...this.state.users,
                [id]: { id, username: 'deleted', display_name: 'Deleted account', bio: '', avatar_url: '', created_at: '' },
              },
            });
          } else {
            this.userRequests.delete(id);
          }
        },
      );
    }
  }

  rememberUsers(users: PublicProfile[]): void {
    if (users.length === 0) return;
    const next = { ...this.state.users };
    for (const u of users) next[u.id] = u;
    this.set({ users: next });
  }

  // ---- catch-up ----

  /**
   * After every hello (docs/protocol.md, "Client algorithm"): resend what waits in the
   * outbox, refresh the chat list (new and removed chats, counts, presence), then `sync` the
   * chats held locally from their cursors, in batches that keep the replay small, and page
   * over REST where the gap is too big. Finally refetch what sync does not replay (edits,
   * deletions and reactions on screen).
   */
  private async caughtUp(): Promise<void> {
    const rt = this.rt;
    if (!rt) return;
    this.set({ synced: false });
    this.outbox?.flush();
    try {
      await this.loadChats();
    } catch (e) {
      if (e instanceof SessionEndedError) return this.sessionEnded();
      // The list stays as it was; sync what we hold anyway.
    }
    if (this.rt !== rt) return;
    const batches: { chat_id: string; after_seq: number }[][] = [];
    let batch: { chat_id: string; after_seq: number }[] = [];
    let expected = 0;
    for (const [chatId, t] of Object.entries(this.state.timelines)) {
      const chat = this.state.chats[chatId];
      if (!t.loaded || !chat) continue;
      const cursor = contiguousHigh(t, chat.last_seq);
      const gap = Math.max(0, chat.last_seq - cursor);
      if (gap > SYNC_BATCH) {
        void this.guard(this.resync(chatId)); // too far behind: the newest page over REST
        continue;
      }
      if (batch.length >= 1000 || (batch.length > 0 && expected + gap > SYNC_BATCH)) {
        batches.push(batch);
        batch = [];
        expected = 0;
      }
      batch.push({ chat_id: chatId, after_seq: cursor });
      expected += gap;
    }
    if (batch.length) batches.push(batch);
    try {
      for (const chats of batches) {
        await rt.request(
          { type: 'sync', chats },
          {
            timeoutMs: 30_000,
            // Per-chat errors come with the sync's id and do not end it.
            onError: (err) => {
              if (!err.chat_id) return false;
              if (err.code === 'chat_not_found') this.forgetChat(err.chat_id);
              return true;
            },
          },
        );
        if (this.rt !== rt) return;
      }
    } catch {
      // The connection went again; the next hello syncs again.
      return;
    }
    if (this.rt !== rt) return;
    this.set({ synced: true });
    void this.guard(this.refreshUnreadCount());
    const active = this.state.activeChatId;
    if (active && this.state.timelines[active]?.loaded) void this.guard(this.refreshNewest(active));
    if (active) this.markRead(active);
  }

  // ---- frames ----

  handleFrame(f: ServerFrame): void {
    switch (f.type) {
      case 'message.new':
        return this.onMessage(f.data);
      case 'message.edited':
        return this.onEdited(f.data);
      case 'message.deleted':
        return this.onDeleted(f.data);
      case 'reaction':
        return this.updateTimeline(f.data.chat_id, (t) => applyReaction(t, f.data));
      case 'receipt':
        return this.onReceipt(f.data.chat_id, f.data.user_id, f.data.read_seq, f.data.delivered_seq);
      case 'typing':
        return this.onTyping(f.data.chat_id, f.data.user_id, f.data.expires_in_ms);
      case 'presence':
        return this.onPresence(f.data.user_id, { online: f.data.online, last_seen: f.data.last_seen });
      case 'chat.updated':
        return this.onChatUpdated(f.data.chat_id, f.data.chat);
      case 'notification':
        return this.onNotification(f.data);
      case 'resync_required':
        void this.guard(this.resync(f.data.chat_id));
        return;
      default:
        return;
    }
  }

  private updateTimeline(chatId: string, fn: (t: Timeline) => Timeline): void {
    const t = this.state.timelines[chatId];
    if (!t) return;
    const next = fn(t);
    if (next !== t) this.set({ timelines: { ...this.state.timelines, [chatId]: next } });
  }

  private onMessage(m: Message): void {
    const me = this.meId;
    if (m.sender_id === me) this.outbox?.settled(m.client_id);
    const t = this.state.timelines[m.chat_id];
    if (t) {
      const next = mergeMessages(t, [m]);
      if (next !== t) this.set({ timelines: { ...this.state.timelines, [m.chat_id]: next } });
      if (next.loaded && firstGap(next)) void this.guard(this.fillGaps(m.chat_id));
    }
    // The sender stopped typing.
    const typing = this.state.typing[m.chat_id];
    if (typing && typing[m.sender_id]) {
      const rest = { ...typing };
      delete rest[m.sender_id];
      this.set({ typing: { ...this.state.typing, [m.chat_id]: rest } });
    }
    const chat = this.state.chats[m.chat_id];
    if (!chat) {
      // A chat we did not know (new, or joined while away): the list will bring it.
      this.scheduleChatListReload();
      return;
    }
    if (m.seq > chat.last_seq) {
      const reading = this.isReading(m.chat_id);
      const fromOther = m.sender_id !== me && !m.deleted;
      const updated: ChatListItem = {
        ...chat,
        last_message: m,
        last_seq: m.seq,
        last_activity_at: later(chat.last_activity_at, m.created_at),
        unread_count: fromOther && !reading && m.seq > chat.read_seq ? chat.unread_count + 1 : chat.unread_count,
        read_seq: m.sender_id === me ? Math.max(chat.read_seq, m.seq) : chat.read_seq,
      };
      const chats = { ...this.state.chats, [chat.id]: updated };
      this.set({ chats, chatOrder: orderChats(chats) });
    }
    this.ensureUsers([m.sender_id]);
    if (m.sender_id !== me) {
      if (this.isReading(m.chat_id)) this.markRead(m.chat_id);
      else this.markDelivered(m.chat_id, m.seq);
    }
  }

  private onEdited(m: Message): void {
    this.updateTimeline(m.chat_id, (t) => mergeMessages(t, [m]));
    this.patchLastMessage(m);
  }

  private onDeleted(m: Message): void {
    this.updateTimeline(m.chat_id, (t) => applyDeleted(t, m));
    this.patchLastMessage({ ...m, deleted: true, body: '' });
  }

  private patchLastMessage(m: Message): void {
    const chat = this.state.chats[m.chat_id];
    if (!chat || chat.last_message?.id !== m.id) return;
    this.set({ chats: { ...this.state.chats, [chat.id]: { ...chat, last_message: { ...chat.last_message, ...m } } } });
  }

  private onReceipt(chatId: string, userId: string, read: number, delivered: number): void {
    const forChat = this.state.receipts[chatId] ?? {};
    const old = forChat[userId] ?? { read_seq: 0, delivered_seq: 0 };
    const next = { read_seq: Math.max(old.read_seq, read), delivered_seq: Math.max(old.delivered_seq, delivered, read) };
    if (next.read_seq === old.read_seq && next.delivered_seq === old.delivered_seq && forChat[userId]) return;
    this.set({ receipts: { ...this.state.receipts, [chatId]: { ...forChat, [userId]: next } } });
  }

  private onTyping(chatId: string, userId: string, ttl: number): void {
    if (userId === this.meId) return;
    const forChat = { ...(this.state.typing[chatId] ?? {}), [userId]: this.now() + (ttl || 5000) };
    this.set({ typing: { ...this.state.typing, [chatId]: forChat } });
    this.ensureUsers([userId]);
    this.scheduleTypingSweep();
  }

  private scheduleTypingSweep(): void {
    if (this.typingTimer) return;
    let soonest = Infinity;
    for (const forChat of Object.values(this.state.typing))
      for (const at of Object.values(forChat)) soonest = Math.min(soonest, at);
    if (soonest === Infinity) return;
    this.typingTimer = this.timers.setTimeout(() => {
      this.typingTimer = null;
      this.sweepTyping();
      this.scheduleTypingSweep();
    }, Math.max(50, soonest - this.now() + 10));
  }

  /** Drops typing indicators that expired. */
  sweepTyping(): void {
    const now = this.now();
    let changed = false;
    const typing: AppState['typing'] = {};
    for (const [chat, forChat] of Object.entries(this.state.typing)) {
      const kept: Record<string, number> = {};
      for (const [user, at] of Object.entries(forChat)) {
        if (at > now) kept[user] = at;
        else changed = true;
      }
      if (Object.keys(kept).length) typing[chat] = kept;
      else if (Object.keys(forChat).length) changed = true;
    }
    if (changed) this.set({ typing });
  }

  private onPresence(userId: string, p: PresenceState): void {
    const presence = { ...this.state.presence, [userId]: p };
    let chats = this.state.chats;
    for (const c of Object.values(this.state.chats)) {
      if (c.presence?.user_id === userId) {
        if (chats === this.state.chats) chats = { ...chats };
        chats[c.id] = { ...c, presence: { user_id: userId, ...p } };
      }
    }
    this.set({ presence, chats });
  }

  private onChatUpdated(chatId: string, view: ChatView | null): void {
    const me = this.meId;
    if (!view || !view.members.some((m) => m.user_id === me)) {
      // Removed from the group, or left it (on another device).
      this.forgetChat(chatId);
      return;
    }
    const details = { ...this.state.details, [chatId]: view };
    const presence = { ...this.state.presence };
    for (const m of view.members) presence[m.user_id] = { online: m.online, last_seen: m.last_seen };
    const old = this.state.chats[chatId];
    const item: ChatListItem = old
      ? {
          ...old,
          name: view.name,
          avatar_url: view.avatar_url,
          updated_at: view.updated_at,
          last_activity_at: later(old.last_activity_at, view.last_activity_at),
        }
      : listItemFromView(view, me);
    const chats = { ...this.state.chats, [chatId]: item };
    this.set({ details, presence, chats, chatOrder: orderChats(chats) });
    this.ensureUsers(view.members.map((m) => m.user_id));
    if (!old) this.scheduleChatListReload(); // its unread state and last message
  }

  private forgetChat(chatId: string): void {
    const chats = { ...this.state.chats };
    delete chats[chatId];
    const details = { ...this.state.details };
    delete details[chatId];
    const timelines = { ...this.state.timelines };
    delete timelines[chatId];
    const removedChats =
      this.state.activeChatId === chatId ? { ...this.state.removedChats, [chatId]: true as const } : this.state.removedChats;
    this.set({ chats, chatOrder: orderChats(chats), details, timelines, removedChats });
  }

  private onNotification(n: Notification): void {
    const i = this.state.notifications.findIndex((x) => x.id === n.id);
    const list = this.state.notifications.slice();
    if (i >= 0) list.splice(i, 1);
    list.unshift(n);
    let unread = this.state.unreadNotifications;
    const wasUnread = i >= 0 ? !this.state.notifications[i]!.read : false;
    if (!n.read && !wasUnread) unread++;
    if (n.read && wasUnread) unread = Math.max(0, unread - 1);
    this.set({ notifications: list, unreadNotifications: unread });
    if (n.actor_id) this.ensureUsers([n.actor_id]);
    if (this.countTimer) this.timers.clearTimeout(this.countTimer);
    this.countTimer = this.timers.setTimeout(() => {
      this.countTimer = null;
      void this.guard(this.refreshUnreadCount());
    }, 500);
  }

  // ---- history ----

  /** Opens a chat: its newest page, its members, and marks it read. */
  openChat(chatId: string | null): void {
    if (this.state.activeChatId !== chatId) this.set({ activeChatId: chatId });
    if (!chatId) return;
    if (!this.state.timelines[chatId]?.loaded) void this.guard(this.loadNewest(chatId));
    void this.guard(this.loadDetails(chatId));
    this.markRead(chatId);
  }

  setVisible(visible: boolean): void {
    if (this.state.visible === visible) return;
    this.set({ visible });
    if (visible && this.state.activeChatId) this.markRead(this.state.activeChatId);
  }

  async loadDetails(chatId: string): Promise<ChatView> {
    const view = await this.api.chat(chatId);
    const presence = { ...this.state.presence };
    for (const m of view.members) presence[m.user_id] = { online: m.online, last_seen: m.last_seen };
    this.set({ details: { ...this.state.details, [chatId]: view }, presence });
    this.ensureUsers(view.members.map((m) => m.user_id));
    return view;
  }

  loadNewest(chatId: string): Promise<void> {
    const running = this.newestLoading.get(chatId);
    if (running) return running;
    const run = (async () => {
      const page = await this.api.messages(chatId, { limit: PAGE });
      const t = this.state.timelines[chatId] ?? emptyTimeline;
      const next = mergeNewest(t, page.items, PAGE);
      this.set({ timelines: { ...this.state.timelines, [chatId]: next } });
      this.settleOutbox(page.items);
      this.ensureUsers(page.items.map((m) => m.sender_id));
      if (firstGap(next)) await this.fillGaps(chatId);
      this.markRead(chatId);
    })();
    this.newestLoading.set(chatId, run);
    const done = () => this.newestLoading.delete(chatId);
    run.then(done, done);
    return run;
  }

  /** Re-reads the newest page: edits, deletions and reactions that sync does not replay. */
  async refreshNewest(chatId: string): Promise<void> {
    const page = await this.api.messages(chatId, { limit: PAGE });
    this.updateTimeline(chatId, (t) => {
      let next = mergeMessages(t, page.items);
      // Deleted while we were away: a tombstone version replaces the live one.
      for (const m of page.items) if (m.deleted) next = applyDeleted(next, m);
      return next;
    });
    this.settleOutbox(page.items);
    const t = this.state.timelines[chatId];
    if (t && firstGap(t)) await this.fillGaps(chatId);
  }

  async loadOlder(chatId: string): Promise<void> {
    const t = this.state.timelines[chatId];
    if (!t || !t.hasOlder || this.state.loadingOlder[chatId]) return;
    const first = t.messages[0];
    if (!first) return;
    this.set({ loadingOlder: { ...this.state.loadingOlder, [chatId]: true } });
    try {
      const page = await this.api.messages(chatId, { before: first.seq, limit: PAGE });
      this.updateTimeline(chatId, (cur) => mergeOlder(cur, page.items, PAGE));
      this.ensureUsers(page.items.map((m) => m.sender_id));
    } finally {
      this.set({ loadingOlder: { ...this.state.loadingOlder, [chatId]: false } });
    }
  }

  /** Pages forward over REST through every hole in the loaded messages. */
  async fillGaps(chatId: string): Promise<void> {
    if (this.gapFilling.has(chatId)) return;
    this.gapFilling.add(chatId);
    try {
      for (let rounds = 0; rounds < 50; rounds++) {
        const t = this.state.timelines[chatId];
        const gap = t && firstGap(t);
        if (!gap) return;
        const page = await this.api.messages(chatId, { after: gap.after, before: gap.before, limit: 100 });
        if (page.items.length === 0) return; // nothing there (should not happen: seq has no gaps)
        this.updateTimeline(chatId, (cur) => mergeMessages(cur, page.items));
        this.settleOutbox(page.items);
        this.ensureUsers(page.items.map((m) => m.sender_id));
      }
    } finally {
      this.gapFilling.delete(chatId);
    }
  }

  /** The server could not replay a chat (too far behind): start again from its newest page. */
  async resync(chatId: string): Promise<void> {
    const t = this.state.timelines[chatId];
    if (!t) {
      this.scheduleChatListReload();
      return;
    }
    const page = await this.api.messages(chatId, { limit: PAGE });
    this.set({ timelines: { ...this.state.timelines, [chatId]: resetTo(page.items, PAGE, t.pending) } });
    this.settleOutbox(page.items);
    this.scheduleChatListReload();
  }

  private settleOutbox(items: Message[]): void {
    const me = this.meId;
    for (const m of items) if (m.sender_id === me) this.outbox?.settled(m.client_id);
  }

  // ---- sending ----

  send(chatId: string, draft: { body: string; reply_to?: string | null; mentions?: string[]; attachments?: Attachment[] }): string {
    if (!this.outbox) throw new Error('not started');
    const item = this.outbox.enqueue({
      chat_id: chatId,
      sender_id: this.meId,
      body: draft.body,
      reply_to: draft.reply_to ?? null,
      mentions: draft.mentions ?? [],
      attachments: draft.attachments ?? [],
    });
    return item.client_id;
  }

  retrySend(clientId: string): void {
    this.outbox?.retry(clientId);
  }

  discardSend(clientId: string): void {
    this.outbox?.discard(clientId);
  }

  private outboxTransport(): OutboxTransport {
    return {
      viaSocket: (item, accepted) => {
        const rt = this.rt;
        if (!rt || !rt.isOpen) return null;
        const frame: Record<string, unknown> = {
          type: 'message.send',
          chat_id: item.chat_id,
          client_id: item.client_id,
          body: item.body,
        };
        if (item.reply_to) frame.reply_to = item.reply_to;
        if (item.mentions.length) frame.mentions = item.mentions;
        if (item.attachments.length) frame.attachments = item.attachments;
        return rt
          .request(frame, {
            until: (a) => a.status === 'stored',
            onAck: (a) => {
              if (a.status === 'accepted') accepted();
            },
          })
          .then((a) => ({ message_id: a.message_id!, seq: a.seq!, created_at: a.created_at }));
      },
      viaRest: (item) =>
        this.api.sendMessage(item.chat_id, {
          client_id: item.client_id,
          body: item.body || undefined,
          reply_to: item.reply_to ?? undefined,
          mentions: item.mentions.length ? item.mentions : undefined,
          attachments: item.attachments.length ? item.attachments : undefined,
        }),
    };
  }

  private pendingOf(item: OutboxItem): PendingMessage {
    return {
      client_id: item.client_id,
      chat_id: item.chat_id,
      sender_id: item.sender_id,
      body: item.body,
      reply_to: item.reply_to,
      mentions: item.mentions,
      attachments: item.attachments,
      created_at: item.created_at,
      status: item.status,
      error: item.error,
    };
  }

  private outboxChanged(item: OutboxItem, removed: boolean): void {
    const t = this.state.timelines[item.chat_id] ?? emptyTimeline;
    let next: Timeline;
    if (removed) next = removePending(t, item.client_id);
    else if (t.pending.some((p) => p.client_id === item.client_id))
      next = updatePending(t, item.client_id, { status: item.status, error: item.error });
    else next = addPending(t, this.pendingOf(item));
    if (next !== t || !this.state.timelines[item.chat_id])
      this.set({ timelines: { ...this.state.timelines, [item.chat_id]: next } });
  }

  private outboxStored(item: OutboxItem, stored: StoredAck | Message): void {
    const m: Message = 'id' in stored ? stored : storedFromAck(this.pendingOf(item), stored);
    // Same path as a live message: dedup by seq, settle by client_id, move the chat up.
    this.onMessage(m);
  }

  // ---- edits, deletions, reactions ----

  async edit(chatId: string, messageId: string, body: string): Promise<void> {
    const m = await this.api.editMessage(chatId, messageId, body);
    this.onEdited(m);
  }

  async remove(chatId: string, messageId: string): Promise<void> {
    const m = await this.api.deleteMessage(chatId, messageId);
    this.onDeleted(m);
  }

  /** Sets the user's reaction, or takes it back when it is the same emoji. */
  async react(chatId: string, messageId: string, emoji: string): Promise<void> {
    const me = this.meId;
    const m = this.state.timelines[chatId]?.messages.find((x) => x.id === messageId);
    const mine = m?.reactions?.find((r) => r.user_id === me)?.emoji ?? null;
    const next = mine === emoji ? null : emoji;
    this.updateTimeline(chatId, (t) => applyReaction(t, { chat_id: chatId, message_id: messageId, user_id: me, emoji: next }));
    try {
      if (next) await this.api.setReaction(chatId, messageId, next);
      else await this.api.removeReaction(chatId, messageId);
    } catch (e) {
      this.updateTimeline(chatId, (t) => applyReaction(t, { chat_id: chatId, message_id: messageId, user_id: me, emoji: mine }));
      throw e;
    }
  }

  // ---- receipts and typing ----

  private isReading(chatId: string): boolean {
    return this.state.activeChatId === chatId && this.state.visible;
  }

  /** Marks the open chat read up to its newest stored message. */
  markRead(chatId: string): void {
    if (!this.isReading(chatId)) return;
    const chat = this.state.chats[chatId];
    const t = this.state.timelines[chatId];
    const seq = Math.max(t ? lastSeq(t) : 0, 0);
    if (!chat || seq === 0) return;
    const readSeq = Math.max(chat.read_seq, this.readSent.get(chatId) ?? 0);
    if (seq <= readSeq && chat.unread_count === 0) return;
    if (chat.unread_count !== 0 || chat.read_seq < seq) {
      const chats = { ...this.state.chats, [chatId]: { ...chat, unread_count: 0, read_seq: Math.max(chat.read_seq, seq) } };
      this.set({ chats });
    }
    if (seq <= (this.readSent.get(chatId) ?? 0)) return;
    this.readSent.set(chatId, seq);
    const sent = this.rt?.send({ type: 'receipt.read', chat_id: chatId, seq });
    if (!sent) {
      this.api.markRead(chatId, seq).catch(() => {
        this.readSent.delete(chatId); // try again with the next occasion
      });
    }
  }

  /** Tells senders their message reached this device (coalesced per chat). */
  markDelivered(chatId: string, seq: number): void {
    this.deliveredWanted.set(chatId, Math.max(seq, this.deliveredWanted.get(chatId) ?? 0));
    if (this.deliveredTimers.has(chatId)) return;
    this.deliveredTimers.set(
      chatId,
      this.timers.setTimeout(() => {
        this.deliveredTimers.delete(chatId);
        const s = this.deliveredWanted.get(chatId) ?? 0;
        this.deliveredWanted.delete(chatId);
        if (s > 0 && !this.rt?.send({ type: 'receipt.delivered', chat_id: chatId, seq: s }))
          this.api.markDelivered(chatId, s).catch(() => undefined);
      }, 400),
    );
  }

  /** The user is typing in a chat: tell the others, at most every 2.5 s. */
  typing(chatId: string): void {
    const now = this.now();
    if (now - (this.typingSentAt.get(chatId) ?? 0) < 2500) return;
    if (this.rt?.send({ type: 'typing', chat_id: chatId })) this.typingSentAt.set(chatId, now);
  }

  // ---- notifications ----

  async loadNotifications(more = false): Promise<void> {
    const cursor = more ? this.state.notificationsCursor : null;
    if (more && !cursor) return;
    const page = await this.api.notifications(cursor);
    const items = more ? [...this.state.notifications, ...page.items.filter((n) => !this.state.notifications.some((x) => x.id === n.id))] : page.items;
    this.set({
      notifications: items,
      notificationsCursor: page.next_cursor,
      notificationsLoaded: true,
      unreadNotifications: page.unread_count,
    });
    this.ensureUsers(page.items.map((n) => n.actor_id ?? '').filter(Boolean));
  }

  async refreshUnreadCount(): Promise<void> {
    const { unread_count } = await this.api.unreadNotifications();
    this.set({ unreadNotifications: unread_count });
  }

  async readNotification(id: string): Promise<void> {
    const n = this.state.notifications.find((x) => x.id === id);
    if (n && !n.read) {
      this.set({
        notifications: this.state.notifications.map((x) => (x.id === id ? { ...x, read: true } : x)),
        unreadNotifications: Math.max(0, this.state.unreadNotifications - 1),
      });
    }
    await this.api.readNotification(id);
  }

  async readAllNotifications(): Promise<void> {
    this.set({ notifications: this.state.notifications.map((x) => ({ ...x, read: true })), unreadNotifications: 0 });
    await this.api.readAllNotifications();
  }

  // ---- chats ----

  /** Puts a chat the user just opened or created into the list right away. */
  addChat(view: ChatView): void {
    const me = this.meId;
    const old = this.state.chats[view.id];
    const chats = { ...this.state.chats, [view.id]: old ?? listItemFromView(view, me) };
    this.set({ chats, chatOrder: orderChats(chats), details: { ...this.state.details, [view.id]: view } });
    this.ensureUsers(view.members.map((m) => m.user_id));
  }

  /** A group changed by this user (the server's chat.updated follows anyway). */
  applyView(view: ChatView): void {
    this.onChatUpdated(view.id, view);
  }

  leftChat(chatId: string): void {
    this.forgetChat(chatId);
  }

  /** Whether an error means "try later" rather than "this failed". */
  static transient(e: unknown): boolean {
    return e instanceof NetworkError || (e instanceof ApiError && e.retryable);
  }
}

function pickLive(c: ChatListItem): Partial<ChatListItem> {
  return {
    last_message: c.last_message,
    last_seq: c.last_seq,
    last_activity_at: c.last_activity_at,
    unread_count: c.unread_count,
    read_seq: c.read_seq,
  };
}
