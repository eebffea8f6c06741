// End-to-end, security: markup and script in everything a user can type (message bodies, a
// display name, a bio, a group name, a file name, a reaction) reaches another user's browser
// as text. Nothing runs (no dialog, no page error, no global set by a payload), no element
// comes from it, and the text shown is the text sent.
//   PARLEY_BIN=build/asan/bin/parley node --test e2e/xss.test.mjs

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, mailedCode, screenshot, startServer, webRoot } from './harness.mjs';

const PASSWORD = 'correct horse battery staple';

// Each payload sets window.__xss (or opens a dialog) if it ever runs.
const PAYLOADS = [
  '<script>window.__xss = "script"</script>',
  '<img src=x onerror="window.__xss = \'img\'">',
  '"><svg onload="window.__xss = \'svg\'">',
  "<a href=\"javascript:window.__xss='href'\">click me</a>",
  '<iframe srcdoc="<script>parent.__xss=\'iframe\'</script>"></iframe>',
  '</div><details open ontoggle="window.__xss=\'details\'">',
  '{{constructor.constructor("window.__xss=\'template\'")()}}',
  '[link](javascript:window.__xss=\'md\') **bold** <b>b</b>',
  '<style>body{display:none}</style>hidden?',
  'javascript:alert(document.domain)',
];
const NAME = '<img src=x onerror="alert(\'name\')">';
const GROUP = '<script>alert("group")</script>';
const REACTION = '<svg/onload=alert(1)>';

let server;
let browser;

async function api(method, route, { token, body } = {}) {
  const res = await fetch(`${server.url}/api/v1${route}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function account(username, displayName) {
  const email = `${username}@example.com`;
  const r = await api('POST', '/auth/register', {
    body: { email, username, password: PASSWORD, display_name: displayName },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const code = await mailedCode(server.dataDir, email);
  assert.equal((await api('POST', '/auth/verify', { body: { email, code } })).status, 200);
  const login = await api('POST', '/auth/login', { body: { email, password: PASSWORD } });
  assert.equal(login.status, 200);
  return { email, id: r.body.user_id, token: login.body.access_token };
}

describe('markup typed by users renders as text', { concurrency: false }, () => {
  before(async () => {
    assert.ok(existsSync(path.join(webRoot, 'dist/index.html')), 'build the client first (npm run build)');
    server = await startServer();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    const exit = await server?.stop();
    if (server) assert.ok(exit && (exit.code === 0 || exit.signal === 'SIGTERM'), `parley exited with ${JSON.stringify(exit)}`);
  });

  test('payloads in messages, names, a group, a file and a reaction stay text', async () => {
    const mallory = await account('mallory', NAME);
    const victim = await account('victim', 'Victim');
    assert.equal((await api('PATCH', '/users/me', { token: mallory.token, body: { bio: PAYLOADS[1] } })).status, 200);
    const group = await api('POST', '/chats/groups', {
      token: mallory.token,
      body: { name: GROUP, member_ids: [victim.id] },
    });
    assert.equal(group.status, 201);
    const chat = group.body.id;
    let last;
    for (const [i, body] of PAYLOADS.entries()) {
      last = await api('POST', `/chats/${chat}/messages`, { token: mallory.token, body: { client_id: `x${i}`, body } });
      assert.equal(last.status, 201, JSON.stringify(last.body));
    }
    // a file whose name is markup
    const png = Buffer.from('%PDF-1.4\n%%EOF\n');
    const fileName = '<img src=x onerror=alert(7)>.pdf';
    const grant = await api('POST', '/media/uploads', {
      token: mallory.token,
      body: { file_name: fileName, content_type: 'application/pdf', size: png.length },
    });
    assert.equal(grant.status, 201);
    const put = await fetch(grant.body.upload_url, { method: 'PUT', headers: grant.body.headers, body: png });
    assert.equal(put.status, 204);
    const withFile = await api('POST', `/chats/${chat}/messages`, {
      token: mallory.token,
      body: {
        client_id: 'file',
        body: 'file: <b>attached</b>',
        attachments: [{ key: grant.body.key, name: fileName, content_type: 'application/pdf', size: png.length }],
      },
    });
    assert.equal(withFile.status, 201, JSON.stringify(withFile.body));
    const reaction = await api('PUT', `/chats/${chat}/messages/${last.body.id}/reaction`, {
      token: mallory.token,
      body: { emoji: REACTION },
    });
    assert.ok([204, 422].includes(reaction.status), JSON.stringify(reaction.body));

    // The victim signs in and opens the group.
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const dialogs = [];
    const errors = [];
    page.on('dialog', async (d) => {
      dialogs.push(d.message());
      await d.dismiss();
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/login`);
    await page.getByLabel('E-mail').fill(victim.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/chats/);
    const row = page.locator('.chat-row').filter({ has: page.locator('.chat-row-title', { hasText: GROUP }) });
    await row.first().click();
    await page.locator('.conversation-title h2', { hasText: GROUP }).waitFor();
    await page.locator('.conversation .message[data-seq] .message-text', { hasText: 'file:' }).waitFor();
    await page.waitForTimeout(1000); // time for anything injected to load and run

    // The text shown is the text sent, payload for payload, in order.
    const shown = await page.$$eval('.conversation .message[data-seq] .message-text', (els) =>
      els.map((e) => e.textContent),
    );
    for (const p of PAYLOADS) assert.ok(shown.includes(p), `not shown as text: ${p}\nshown: ${JSON.stringify(shown)}`);
    assert.equal(await page.locator('.conversation-title h2').textContent(), GROUP);
    await page.locator('.attachment-file .attachment-name').waitFor();
    assert.equal(await page.locator('.attachment-file .attachment-name').textContent(), fileName);
    assert.equal(await page.locator('.attachment-file').getAttribute('download'), fileName);
    assert.ok((await page.locator('.conversation').textContent()).includes(NAME), "the sender's name is shown as text");

    // Nothing ran and nothing was injected.
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    assert.deepEqual(dialogs, []);
    assert.deepEqual(errors, []);
    const injected = await page.evaluate(() => ({
      scripts: [...document.querySelectorAll('body script')].length,
      images: [...document.querySelectorAll('img')].filter((i) => i.getAttribute('src') === 'x').length,
      svg: [...document.querySelectorAll('svg[onload]')].length,
      iframes: document.querySelectorAll('iframe').length,
      handlers: [...document.querySelectorAll('*')].filter((e) =>
        [...e.attributes].some((a) => a.name.startsWith('on')),
      ).length,
      scriptLinks: [...document.querySelectorAll('a[href]')].filter((a) =>
        a.getAttribute('href').trim().toLowerCase().startsWith('javascript'),
      ).length,
      styles: [...document.querySelectorAll('.conversation style, .sidebar style')].length,
      bold: document.querySelectorAll('.conversation .message-text b').length,
      bodyVisible: getComputedStyle(document.body).display !== 'none',
    }));
    assert.deepEqual(injected, {
      scripts: 0, images: 0, svg: 0, iframes: 0, handlers: 0, scriptLinks: 0, styles: 0, bold: 0, bodyVisible: true,
    });
    await screenshot(page, 'xss-as-text');
    await context.close();
  });
});
