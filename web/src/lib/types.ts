// Shapes of the REST API (docs/openapi.yaml) and of the /ws frames, as the client uses them.

export interface TokenResponse {
  user_id: string;
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  refresh_expires_in: number;
}

export interface OwnProfile {
  id: string;
  username: string;
  email: string;
  display_name: string;
  bio: string;
  avatar_url: string;
  created_at: string;
  updated_at: string;
}

export interface PublicProfile {
  id: string;
  username: string;
  display_name: string;
  bio: string;
  avatar_url: string;
  created_at: string;
}

export type ChatKind = 'direct' | 'group';
export type ChatRole = 'member' | 'admin' | 'owner';

export interface PresenceState {
  online: boolean;
  last_seen: string | null;
}

export interface ChatMember extends PresenceState {
  user_id: string;
  role: ChatRole;
  joined_at: string;
}

export interface ChatView {
  id: string;
  kind: ChatKind;
  name: string;
  avatar_url: string;
  created_by: string;
  created_at: string;
  updated_at: string;
  last_activity_at: string;
  members: ChatMember[];
}

export interface Attachment {
  key: string;
  name: string;
  content_type: string;
  size: number;
  width?: number;
  height?: number;
}

export interface Reaction {
  user_id: string;
  emoji: string;
}

export interface Message {
  id: string;
  chat_id: string;
  seq: number;
  sender_id: string;
  client_id: string;
  body: string;
  attachments: Attachment[];
  reply_to: string | null;
  mentions: string[];
  created_at: string;
  edited_at: string | null;
  deleted: boolean;
  reactions?: Reaction[];
}

export interface ChatListItem {
  id: string;
  kind: ChatKind;
  name: string;
  avatar_url: string;
  created_by: string;
  created_at: string;
  updated_at: string;
  last_activity_at: string;
  last_message: Message | null;
  last_seq: number;
  read_seq: number;
  unread_count: number;
  member_ids: string[];
  presence: (PresenceState & { user_id: string }) | null;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export type NotificationKind = 'message' | 'mention' | 'member_added' | 'member_removed' | 'owner_changed';

export interface Notification {
  id: string;
  kind: NotificationKind;
  chat_id: string;
  actor_id: string | null;
  message_id: string | null;
  seq: number | null;
  count: number;
  preview: string;
  created_at: string;
  updated_at: string;
  read: boolean;
  read_at: string | null;
}

export interface NotificationPage extends Page<Notification> {
  unread_count: number;
}

export interface UploadGrant {
  key: string;
  upload_url: string;
  method: 'PUT';
  headers: Record<string, string>;
  expires_at: string;
}

export interface DownloadGrant {
  url: string;
  expires_at: string;
}

export interface ReadCursor {
  read_seq: number;
  delivered_seq: number;
}

// ---- WebSocket frames (server → client) ----

export interface ChatUpdatedData {
  change: string;
  chat_id: string;
  actor_id: string;
  user_id: string | null;
  chat: ChatView | null;
}

export interface ReceiptData {
  chat_id: string;
  user_id: string;
  read_seq: number;
  delivered_seq: number;
}

export interface TypingData {
  chat_id: string;
  user_id: string;
  expires_in_ms: number;
}

export interface PresenceData {
  user_id: string;
  online: boolean;
  last_seen: string | null;
}

export interface ReactionData {
  chat_id: string;
  message_id: string;
  user_id: string;
  emoji: string | null;
}

export type ServerFrame =
  | { type: 'hello'; data: { protocol: number; user_id: string; connection_id: number } }
  | { type: 'ack'; id?: string | number | null; status: string; client_id?: string; chat_id?: string;
      message_id?: string; seq?: number; created_at?: string; read_seq?: number; delivered_seq?: number }
  | { type: 'error'; id?: string | number | null; code: string; message: string; client_id?: string; chat_id?: string }
  | { type: 'pong'; id?: string | number | null }
  | { type: 'message.new'; data: Message }
  | { type: 'message.edited'; data: Message }
  | { type: 'message.deleted'; data: Message }
  | { type: 'receipt'; data: ReceiptData }
  | { type: 'typing'; data: TypingData }
  | { type: 'presence'; data: PresenceData }
  | { type: 'chat.updated'; data: ChatUpdatedData }
  | { type: 'notification'; data: Notification }
  | { type: 'reaction'; data: ReactionData }
  | { type: 'resync_required'; data: { chat_id: string; after_seq: number } };

export type AckFrame = Extract<ServerFrame, { type: 'ack' }>;
export type ErrorFrame = Extract<ServerFrame, { type: 'error' }>;
