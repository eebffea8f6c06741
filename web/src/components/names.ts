import type { ChatListItem, PublicProfile } from '../lib/types';

export function nameOf(users: Record<string, PublicProfile>, id: string | null | undefined): string {
  if (!id) return 'Someone';
  const u = users[id];
  if (!u) return '…';
  return u.display_name || u.username;
}

export function partnerOf(chat: Pick<ChatListItem, 'member_ids' | 'presence'>, me: string): string | null {
  return chat.presence?.user_id ?? chat.member_ids.find((id) => id !== me) ?? null;
}

export function chatTitle(chat: Pick<ChatListItem, 'kind' | 'name' | 'member_ids' | 'presence'>, me: string, users: Record<string, PublicProfile>): string {
  if (chat.kind === 'group') return chat.name || 'Group';
  return nameOf(users, partnerOf(chat, me));
}
