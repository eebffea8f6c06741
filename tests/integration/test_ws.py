"""WebSocket `/ws` (docs/protocol.md): the upgrade and hello, idempotent sends, catch-up with
`sync`, refusals for non-members, multi-device delivery and malformed frames."""
from __future__ import annotations

import json
import threading

import pytest
import websocket

from harness import Client, assert_error, b64url_encode, describe, jwt_parts
from ws_client import UNSOLICITED, CHATS, WsClient, cid, connect, create_group, rest_send, upgrade_raw

INVALID_TOKEN = {"error": {"code": "invalid_token", "message": "invalid access token"}}


@pytest.fixture(scope="module")
def trio(client: Client):
    """ann, bob and cat share the group `chat`; eve shares nothing with them."""
    ann, bob, cat, eve = (client.new_user() for _ in range(4))
    chat = create_group(client, ann, bob, cat, name="Book club")
    return {"ann": ann, "bob": bob, "cat": cat, "eve": eve, "chat": chat["id"]}


def assert_refused(resp, body=INVALID_TOKEN):
    """A refused upgrade: plain HTTP 401 with the error envelope, and the TCP connection closed."""
    assert resp.status == 401, resp
    assert resp.headers.get("content-type") == "application/json", resp.headers
    assert resp.headers.get("connection", "").lower() == "close", resp.headers
    assert "upgrade" not in resp.headers and "sec-websocket-accept" not in resp.headers, resp.headers
    assert resp.json() == body, resp.body
    assert resp.closed, "the server keeps the connection open after refusing the upgrade"


# --------------------------------------------------------------------------- upgrade and hello

def test_upgrade_refused_without_a_valid_token(client: Client, server, trio):
    ann = trio["ann"]
    assert_refused(upgrade_raw(server))
    assert_refused(upgrade_raw(server, headers={"Authorization": "Bearer garbage"}))
    assert_refused(upgrade_raw(server, headers={"Authorization": "Bearer "}))
    assert_refused(upgrade_raw(server, headers={"Authorization": f"Basic {ann.access}"}))
    assert_refused(upgrade_raw(server, "/ws?access_token=a.b.c"))
    # a token whose payload was changed (another user) but kept its signature
    header, payload, sig = ann.access.split(".")
    claims = jwt_parts(ann.access)[1]
    forged = ".".join([header, b64url_encode(json.dumps({**claims, "sub": trio["bob"].user_id}).encode()), sig])
    assert_refused(upgrade_raw(server, headers={"Authorization": f"Bearer {forged}"}))
    # the query parameter, even empty, wins over the header
    assert_refused(upgrade_raw(server, "/ws?access_token=", headers={"Authorization": f"Bearer {ann.access}"}))
    assert_refused(upgrade_raw(server, "/ws?access_token=garbage", headers={"Authorization": f"Bearer {ann.access}"}))
    # the server still accepts good upgrades afterwards
    ok = upgrade_raw(server, headers={"Authorization": f"Bearer {ann.access}"}, timeout=0.5)
    assert ok.status == 101 and ok.headers.get("upgrade", "").lower() == "websocket", ok
    assert ok.headers.get("sec-websocket-accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", ok.headers
    assert "sec-websocket-protocol" not in ok.headers and "sec-websocket-extensions" not in ok.headers, ok.headers


def test_plain_get_of_ws_is_not_found(client: Client, trio):
    r = client.get("/ws", token=trio["ann"].access)
    assert_error(r, 404, "not_found")
    r = client.get("/ws/", headers={"Upgrade": "websocket", "Connection": "Upgrade"}, token=trio["ann"].access)
    assert r.status_code != 101, describe(r)


def test_hello_is_the_first_frame(client: Client, server, trio):
    ann, bob = trio["ann"], trio["bob"]
    a1 = WsClient(server, ann.access, name="a1")
    # the token in the query, with a percent-encoded character: it is decoded
    a2 = WsClient(server, ann.access.replace(".", "%2E", 1), query=True, name="a2")
    b = WsClient(server, bob.access, query=True, name="b")
    try:
        hellos = []
        for c, who in ((a1, ann), (a2, ann), (b, bob)):
            c.wait_for(lambda f: True)
            c.barrier()
            frames = c.snapshot()
            hello = frames[0]
            assert set(hello) == {"type", "data"} and hello["type"] == "hello", frames[:3]
            assert set(hello["data"]) == {"protocol", "user_id", "connection_id"}, hello
            assert hello["data"]["protocol"] == 2 and hello["data"]["user_id"] == who.user_id, hello
            assert type(hello["data"]["connection_id"]) is int, hello
            assert [f["type"] for f in frames].count("hello") == 1, frames
            hellos.append(hello["data"]["connection_id"])
        assert len(set(hellos)) == 3, f"connection ids are not distinct: {hellos}"
    finally:
        for c in (a1, a2, b):
            c.close()


def test_protocol_versions_and_batched_frames(client: Client, server, trio):
    """Version 1 (no `protocol` in the URL): one message per frame. Version 2: the messages queued
    for a connection go out together, one JSON text per line. A newer version than the server's
    gets the newest it speaks; a value that is not a version is refused before the upgrade."""
    ann, bob = trio["ann"], trio["bob"]
    for value in ("0", "-1", "two", "", "1.5", "99999999999999999999"):
        refused = upgrade_raw(server, f"/ws?protocol={value}", headers={"Authorization": f"Bearer {bob.access}"})
        assert refused.status == 400 and refused.closed, refused
        assert refused.json()["error"]["code"] == "invalid_protocol", refused.body

    chat = create_group(client, ann, bob, name="batches")["id"]
    sent = [rest_send(client, ann, chat, f"m{i}") for i in range(150)]
    clients = {version: WsClient(server, bob.access, protocol=version, name=f"v{version}")
               for version in (None, 1, 2, 7)}
    try:
        replays = {}
        for version, c in clients.items():
            c.wait_type("hello")
            start = c.mark()
            c.request({"type": "sync", "chats": [{"chat_id": chat, "after_seq": 0}]})
            replays[version] = [f["data"]["id"] for f in c.since(start, UNSOLICITED) if f["type"] == "message.new"]
            assert replays[version] == [m["id"] for m in sent], version
        spoken = {version: c.snapshot()[0]["data"]["protocol"] for version, c in clients.items()}
        assert spoken == {None: 1, 1: 1, 2: 2, 7: 2}, spoken
        for version in (None, 1):
            assert all("\n" not in text for text in clients[version].raw), "version 1 batched messages"
            assert len(clients[version].raw) == len(clients[version].snapshot())
        # 150 replayed messages queued at once: version 2 carries them in fewer frames
        for version in (2, 7):
            raw = clients[version].raw
            assert len(raw) < len(clients[version].snapshot()), f"no frame carried two messages: {len(raw)} frames"
            assert all(len(text.encode()) <= 32 * 1024 + 4096 for text in raw), max(map(len, raw))
    finally:
        for c in clients.values():
            c.close()


# --------------------------------------------------------------------------- idempotent sends

STORED_FIELDS = {"type", "id", "client_id", "status", "chat_id", "message_id", "seq", "created_at"}
MESSAGE_FIELDS = {"id", "chat_id", "seq", "sender_id", "client_id", "body", "attachments", "reply_to",
                  "mentions", "created_at", "edited_at", "deleted"}


def test_retried_send_is_stored_and_delivered_once(client: Client, server, trio):
    ann, bob, chat = trio["ann"], trio["bob"], trio["chat"]
    a, b = connect(server, ann), connect(server, bob)
    try:
        key = cid()
        accepted, first = a.send_message(chat, key, "first try")
        assert accepted == {"type": "ack", "id": accepted["id"], "client_id": key, "status": "accepted"}, accepted
        assert first["type"] == "ack" and first["status"] == "stored" and set(first) == STORED_FIELDS, first
        assert first["client_id"] == key and first["chat_id"] == chat and first["seq"] >= 1, first
        # the same client_id again, over WebSocket with another body, and over REST
        _, again = a.send_message(chat, key, "second try")
        strip = lambda ack: {k: v for k, v in ack.items() if k != "id"}  # noqa: E731
        assert strip(again) == strip(first), (first, again)
        r = client.post(f"{CHATS}/{chat}/messages", token=ann.access, json={"client_id": key, "body": "third try"})
        assert r.status_code == 200, describe(r)
        m = r.json()
        assert (m["id"], m["seq"], m["body"], m["created_at"]) == (
            first["message_id"], first["seq"], "first try", first["created_at"]), m
        # from another connection of the sender too
        with connect(server, ann, name="ann-2") as a2:
            _, third = a2.send_message(chat, key, "fourth try")
            assert strip(third) == strip(first), (first, third)
        # the same client_id from another sender is another message
        _, bobs = b.send_message(chat, key, "bob's own")
        assert bobs["status"] == "stored" and bobs["seq"] == first["seq"] + 1, bobs
        assert bobs["message_id"] != first["message_id"]
        # a fresh message: the retries took no seq, and everything before it has arrived
        _, marker = a.send_message(chat, cid(), "marker")
        assert marker["seq"] == first["seq"] + 2, marker
        for c in (a, b):
            c.wait_type("message.new", id=marker["message_id"])
            c.barrier()
            news = [f["data"] for f in c.events("message.new") if f["data"]["client_id"] == key]
            assert [(d["id"], d["sender_id"], d["body"]) for d in news] == [
                (first["message_id"], ann.user_id, "first try"), (bobs["message_id"], bob.user_id, "bob's own")], news
        # each send was answered exactly twice: accepted, then stored
        for c, ack in ((a, first), (a, again), (b, bobs), (a, marker)):
            assert [f["status"] for f in c.answers(ack["id"])] == ["accepted", "stored"], c.answers(ack["id"])
    finally:
        a.close()
        b.close()


def test_concurrent_retries_on_two_connections(client: Client, server, trio):
    """Two devices of one user race with the same client_ids: one message per client_id."""
    ann, chat = trio["ann"], trio["chat"]
    keys = [cid() for _ in range(15)]
    conns = [connect(server, ann, name=f"ann-{i}") for i in range(2)]
    observer = connect(server, trio["cat"])
    try:
        start = threading.Barrier(2)

        def blast(c):
            start.wait()
            for k in keys:
                c.send({"type": "message.send", "id": k, "chat_id": chat, "client_id": k, "body": f"body {k}"})

        threads = [threading.Thread(target=blast, args=(c,)) for c in conns]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        stored = []
        for c in conns:
            acks = c.wait_count(lambda f: f.get("status") == "stored" or f.get("type") == "error", len(keys))
            assert all(f["type"] == "ack" for f in acks), [f for f in acks if f["type"] != "ack"]
            stored.append({f["client_id"]: (f["message_id"], f["seq"]) for f in acks})
        assert stored[0] == stored[1], "the two devices got different messages for one client_id"
        for c in conns:
            c.barrier()
            for k in keys:
                assert [f["status"] for f in c.answers(k)] == ["accepted", "stored"], (c.name, c.answers(k))
        seqs = sorted(s for _, s in stored[0].values())
        assert seqs == list(range(seqs[0], seqs[0] + len(keys))), seqs
        last_id = max(stored[0].values(), key=lambda v: v[1])[0]
        observer.wait_type("message.new", id=last_id)
        observer.barrier()
        got = [f["data"]["client_id"] for f in observer.events("message.new") if f["data"]["client_id"] in keys]
        assert sorted(got) == sorted(keys), f"{len(got)} message.new for {len(keys)} client_ids"
    finally:
        for c in (*conns, observer):
            c.close()


# --------------------------------------------------------------------------- catch-up

def test_sync_replays_exactly_what_was_missed(client: Client, server, trio):
    ann, bob, cat = trio["ann"], trio["bob"], trio["cat"]
    chat = create_group(client, ann, bob, name="catch-up")["id"]
    other = create_group(client, cat, bob, name="other")["id"]
    a, b = connect(server, ann), connect(server, bob)
    try:
        held = [a.send_message(chat, cid(), f"held {i}")[1] for i in range(3)]
        assert [m["seq"] for m in held] == [1, 2, 3]
        b.wait_type("message.new", id=held[-1]["message_id"])
        b.close()

        missed = [rest_send(client, ann, chat, f"missed {i}") for i in range(5)]
        missed_other = [rest_send(client, cat, other, f"other {i}") for i in range(2)]
        assert [m["seq"] for m in missed] == [4, 5, 6, 7, 8]
        # while bob is away: a missed message is edited, another deleted, a held one edited
        r = client.patch(f"{CHATS}/{chat}/messages/{missed[1]['id']}", token=ann.access, json={"body": "edited"})
        assert r.status_code == 200, describe(r)
        assert a.request({"type": "message.delete", "chat_id": chat, "message_id": missed[2]["id"]})["status"] == "done"
        assert a.request({"type": "message.edit", "chat_id": chat, "message_id": held[0]["message_id"],
                          "body": "held, edited"})["status"] == "done"

        b = connect(server, bob, name="bob-again")
        start = b.mark()
        ack = b.request({"type": "sync", "chats": [{"chat_id": chat, "after_seq": 3},
                                                   {"chat_id": other, "after_seq": 0}]})
        assert ack == {"type": "ack", "id": ack["id"], "status": "synced"}, ack
        replay = b.since(start, UNSOLICITED)[:-1]
        assert all(f["type"] == "message.new" and set(f) == {"type", "data"} for f in replay), replay
        got = [(f["data"]["chat_id"], f["data"]["seq"]) for f in replay]
        assert got == [(chat, s) for s in range(4, 9)] + [(other, 1), (other, 2)], got
        by_seq = {f["data"]["seq"]: f["data"] for f in replay if f["data"]["chat_id"] == chat}
        assert [by_seq[m["seq"]]["id"] for m in missed] == [m["id"] for m in missed]
        assert by_seq[5]["body"] == "edited" and by_seq[5]["edited_at"] is not None, by_seq[5]
        assert by_seq[6]["deleted"] is True and by_seq[6]["body"] == "", by_seq[6]
        assert all(set(f["data"]) == MESSAGE_FIELDS for f in replay), replay
        assert {k: by_seq[4][k] for k in MESSAGE_FIELDS} == {k: missed[0][k] for k in MESSAGE_FIELDS}, by_seq[4]
        assert [f["data"]["id"] for f in replay[5:]] == [m["id"] for m in missed_other]

        # nothing missed, a cursor beyond the end, a chat not mine, and one that does not exist
        not_mine = create_group(client, ann, cat)["id"]
        start = b.mark()
        ack = b.request({"type": "sync", "chats": [
            {"chat_id": chat, "after_seq": 8}, {"chat_id": chat, "after_seq": 100},
            {"chat_id": not_mine, "after_seq": 0}, {"chat_id": "999", "after_seq": 0},
            {"chat_id": other, "after_seq": 1}]})
        frames = b.since(start, UNSOLICITED)
        errors = [f for f in frames if f["type"] == "error"]
        assert len(errors) == 2 and all(e["code"] == "chat_not_found" and e["id"] == ack["id"] for e in errors), errors
        assert [f for f in frames if f["type"] == "message.new"] == [replay[-1]], frames
        assert frames[-1] == {"type": "ack", "id": ack["id"], "status": "synced"}, frames
        assert [e["chat_id"] for e in errors] == [not_mine, "999"], errors
    finally:
        a.close()
        b.close()


@pytest.mark.parametrize("chats", [None, "x", {}, [{"chat_id": 1, "after_seq": 0}], [{"chat_id": "1"}],
                                   [{"chat_id": "1", "after_seq": -1}], [{"chat_id": "1", "after_seq": 1.0}],
                                   [{"chat_id": "1", "after_seq": "1"}], ["1"]])
def test_malformed_sync_replays_nothing(client: Client, server, trio, chats):
    b = connect(server, trio["bob"])
    try:
        frame = {"type": "sync"} if chats is None else {"type": "sync", "chats": chats}
        start = b.mark()
        err = b.request(frame)
        assert err["type"] == "error" and err["code"] == "invalid_frame" and err["message"], err
        b.barrier()
        assert [f["type"] for f in b.since(start, UNSOLICITED)] == ["error", "pong"], b.since(start)
    finally:
        b.close()


# --------------------------------------------------------------------------- non-members

def test_non_member_is_refused_and_nothing_is_delivered(client: Client, server, trio):
    ann, bob, eve, chat = trio["ann"], trio["bob"], trio["eve"], trio["chat"]
    a, b, e = connect(server, ann), connect(server, bob), connect(server, eve)
    try:
        _, msg = a.send_message(chat, cid(), "members only")
        for c in (a, b):
            c.wait_type("message.new", id=msg["message_id"])
        marks = {c: c.mark() for c in (a, b)}
        for target in (chat, "999"):
            key = cid()
            accepted, err = e.send_message(target, key, "let me in")
            assert accepted["status"] == "accepted", accepted
            assert err == {"type": "error", "id": accepted["id"], "code": "chat_not_found",
                           "message": "no such chat", "client_id": key}, err
            requests_ = [
                {"type": "typing", "chat_id": target},
                {"type": "receipt.read", "chat_id": target, "seq": 0},
                {"type": "receipt.delivered", "chat_id": target, "seq": 1},
                {"type": "message.edit", "chat_id": target, "message_id": msg["message_id"], "body": "mine now"},
                {"type": "message.delete", "chat_id": target, "message_id": msg["message_id"]},
                {"type": "reaction.set", "chat_id": target, "message_id": msg["message_id"], "emoji": "👎"},
                {"type": "reaction.remove", "chat_id": target, "message_id": msg["message_id"]},
            ]
            for frame in requests_:
                err = e.request(frame)
                assert err == {"type": "error", "id": err["id"], "code": "chat_not_found",
                               "message": "no such chat"}, (frame, err)
        # over REST as well
        assert_error(client.post(f"{CHATS}/{chat}/messages", token=eve.access,
                                 json={"client_id": cid(), "body": "x"}), 404, "chat_not_found")
        # every refusal was answered; events they had published would have been queued before
        for c in (a, b):
            c.barrier()
            assert [f["type"] for f in c.since(marks[c], UNSOLICITED)] == ["pong"], c.since(marks[c])
        r = client.get(f"{CHATS}/{chat}/messages", token=ann.access, params={"after": msg["seq"] - 1})
        assert r.status_code == 200 and [m["id"] for m in r.json()["items"]] == [msg["message_id"]], describe(r)
        assert r.json()["items"][0]["body"] == "members only" and r.json()["items"][0]["reactions"] == []
    finally:
        for c in (a, b, e):
            c.close()


# --------------------------------------------------------------------------- multi-device

def test_every_device_of_every_member_receives(client: Client, server, trio):
    ann, bob, chat = trio["ann"], trio["bob"], trio["chat"]
    a1, a2 = connect(server, ann, name="a1"), connect(server, ann, name="a2")
    b1, b2 = connect(server, bob, name="b1"), connect(server, bob, name="b2")
    everyone = (a1, a2, b1, b2)
    try:
        _, ws_msg = a1.send_message(chat, cid(), "from ann's first device")
        rest_msg = rest_send(client, bob, chat, "from bob over REST")
        for c in everyone:
            c.wait_type("message.new", id=rest_msg["id"])
            c.barrier()
            news = [f["data"] for f in c.events("message.new")]
            assert [(m["id"], m["seq"]) for m in news] == [(ws_msg["message_id"], ws_msg["seq"]),
                                                         (rest_msg["id"], rest_msg["seq"])], (c.name, news)
            assert news[0]["sender_id"] == ann.user_id and news[1]["sender_id"] == bob.user_id
        # a receipt goes to the other member's devices, not to the reader's own
        ack = b1.request({"type": "receipt.read", "chat_id": chat, "seq": rest_msg["seq"]})
        assert ack == {"type": "ack", "id": ack["id"], "status": "done", "read_seq": rest_msg["seq"],
                       "delivered_seq": rest_msg["seq"]}, ack
        for c in (a1, a2):
            c.wait_type("receipt", user_id=bob.user_id, read_seq=rest_msg["seq"])
        for c in everyone:
            c.barrier()
        assert [len(c.events("receipt")) for c in everyone] == [1, 1, 0, 0]
        # typing reaches the other member's devices, not the typist's other device
        a1.send({"type": "typing", "chat_id": chat})
        for c in (b1, b2):
            t = c.wait_type("typing", user_id=ann.user_id)
            assert t["data"] == {"chat_id": chat, "user_id": ann.user_id, "expires_in_ms": 5000}, t
        for c in everyone:
            c.barrier()
        assert [len(c.events("typing")) for c in everyone] == [0, 0, 1, 1]
    finally:
        for c in everyone:
            c.close()


# --------------------------------------------------------------------------- malformed frames

def nested(depth: int):
    """A JSON value of `depth` levels of arrays."""
    v = 0
    for _ in range(depth):
        v = [v]
    return v


def test_malformed_frames_get_error_frames(client: Client, server, trio):
    chat = trio["chat"]
    c = connect(server, trio["bob"])
    try:
        def answer_to(text: str) -> dict:
            start = c.mark()
            c.send_text(text)
            c.barrier()
            frames = c.since(start, UNSOLICITED)
            assert len(frames) == 2 and frames[1]["type"] == "pong", (text, frames)
            return frames[0]

        def invalid(text: str, id_=None, code="invalid_frame"):
            err = answer_to(text)
            assert set(err) == {"type", "id", "code", "message"}, (text, err)
            assert (err["type"], err["id"], err["code"]) == ("error", id_, code), (text, err)
            assert isinstance(err["message"], str) and err["message"], err

        invalid("not json")
        invalid("")
        invalid('{"type":"ping"')
        invalid('[{"type":"ping","id":"a"}]')
        invalid('"ping"')
        invalid("42")
        invalid("null")
        invalid("{}")
        invalid('{"id":"t1"}', "t1")
        invalid('{"type":5,"id":"t2"}', "t2")
        invalid('{"type":null,"id":7}', 7)
        invalid('{"type":"nope","id":"u1"}', "u1", "unknown_type")
        invalid('{"type":"PING","id":"u2"}', "u2", "unknown_type")
        invalid('{"type":"hello","id":"u3"}', "u3", "unknown_type")
        # nesting: 16 levels are fine, 17 are not
        assert answer_to(json.dumps({"type": "ping", "id": "d16", "x": nested(15)})) == {"type": "pong", "id": "d16"}
        invalid(json.dumps({"type": "ping", "id": "d17", "x": nested(16)}))
        invalid(json.dumps({"type": "ping", "id": "d99", "x": nested(99)}))
        # ids of other types are echoed as null
        for raw in ('1.5', '{"a":1}', '[1]', 'true', 'null'):
            assert answer_to(f'{{"type":"ping","id":{raw}}}') == {"type": "pong", "id": None}, raw
        assert answer_to('{"type":"ping","id":12,"extra":{"ignored":true}}') == {"type": "pong", "id": 12}
        # fields of the wrong type count as absent
        for frame in ({"type": "message.send", "chat_id": 5, "client_id": "k", "body": "x"},
                      {"type": "message.edit", "chat_id": chat, "message_id": 5, "body": "x"},
                      {"type": "message.delete", "chat_id": [chat], "message_id": "5"},
                      {"type": "receipt.read", "chat_id": chat, "seq": "1"},
                      {"type": "receipt.read", "chat_id": chat, "seq": 1.0},
                      {"type": "receipt.delivered", "chat_id": chat, "seq": -1},
                      {"type": "receipt.delivered", "chat_id": chat},
                      {"type": "reaction.set", "chat_id": chat, "message_id": "5", "emoji": 1},
                      {"type": "reaction.remove", "chat_id": chat},
                      {"type": "typing", "chat_id": None},
                      {"type": "typing"}):
            invalid(json.dumps({**frame, "id": "w"}), "w")
        key = cid()
        accepted, err = c.send_message(chat, key, body=7)
        assert accepted["status"] == "accepted" and err["code"] == "invalid_body" and err["client_id"] == key, err
        accepted, err = c.send_message(chat, 7, body="x")
        assert accepted["client_id"] == "", accepted
        assert err == {"type": "error", "id": accepted["id"], "code": "invalid_client_id", "message": err["message"],
                       "client_id": ""}, err
        err = c.request({"type": "message.send", "chat_id": chat, "client_id": cid(), "body": "x", "attachments": 5})
        assert err["code"] == "invalid_field" and "client_id" not in err, err
        # the connection is still usable
        _, stored = c.send_message(chat, cid(), "still here", mentions=[5, trio["ann"].user_id, None])
        assert stored["status"] == "stored", stored
        assert c.wait_type("message.new", id=stored["message_id"])["data"]["mentions"] == [trio["ann"].user_id]
    finally:
        c.close()


def test_protocol_violations_close_the_connection(client: Client, server, trio):
    bob = trio["bob"]
    cases = []
    # over PARLEY_WS_MAX_FRAME_BYTES (65536), in one frame and in fragments
    c = connect(server, bob, name="big")
    c.send_text(json.dumps({"type": "ping", "pad": "x" * 70000}))
    cases.append((c, 1009))
    c = connect(server, bob, name="fragments")
    part = "x" * 30000
    c.ws.send_frame(websocket.ABNF.create_frame('{"type":"ping","pad":"' + part, websocket.ABNF.OPCODE_TEXT, fin=0))
    c.ws.send_frame(websocket.ABNF.create_frame(part, websocket.ABNF.OPCODE_CONT, fin=0))
    c.ws.send_frame(websocket.ABNF.create_frame(part + '"}', websocket.ABNF.OPCODE_CONT, fin=1))
    cases.append((c, 1009))
    c = connect(server, bob, name="binary")
    c.send_binary(b'{"type":"ping"}')
    cases.append((c, 4400))
    c = connect(server, bob, name="utf8")
    c.ws.send_frame(websocket.ABNF.create_frame(b'{"type":"ping","x":"\xff\xfe"}', websocket.ABNF.OPCODE_TEXT))
    cases.append((c, 1007))
    c = connect(server, bob, name="unmasked")
    c.ws.sock.sendall(b"\x81" + bytes([len(b'{"type":"ping"}')]) + b'{"type":"ping"}')
    cases.append((c, 1002))
    try:
        got = [(c.name, c.wait_closed()[0]) for c, _ in cases]
        assert got == [(c.name, code) for c, code in cases], got
        assert cases[2][0].close_reason == "text frames only", cases[2][0].close_reason
        # a message just under the limit is fine, and the server serves new connections
        with connect(server, bob, name="after") as ok:
            text = '{"type":"ping","id":"big","pad":"%s"}'
            text %= "x" * (65536 - len(text) + 2)
            assert len(text) == 65536
            ok.send_text(text)
            assert ok.wait_for(lambda f: f.get("id") == "big") == {"type": "pong", "id": "big"}
        assert client.get("/healthz").status_code == 200
    finally:
        for c, _ in cases:
            c.abort()


def test_client_close_is_echoed(server, trio):
    for code in (1000, 4000):
        c = connect(server, trio["bob"], name=f"close-{code}")
        c.ws.send_close(code)
        assert c.wait_closed() == (code, ""), (code, c.end_error)
        c.abort()
