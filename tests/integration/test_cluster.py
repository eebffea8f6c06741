"""Distributed mode end to end (docs/operations.md, "Distributed mode"): the stack that
`scripts/cluster.sh` starts (Redis, Kafka, FerretDB, a gateway, two `ws` nodes, two `message`
instances, one of every other service), driven through the gateway and straight at the ws
nodes, then broken one part at a time while messages are in flight.

Every fault test ends with exact counts: every send stored exactly once (the store's history
holds each client_id once, seqs 1..N without a gap), every stored ack of a client_id names
the same message, and every member, after catching up, holds every message.
"""
from __future__ import annotations

import shutil
import tempfile
import threading
import time
from pathlib import Path

import pytest

from cluster import PARTITIONS, Member, Stack, partition_of, port_free, send_load, started_sends
from harness import Client, assert_error, describe, parallel, unique_name
from security_attacks import tried
from ws_client import CHATS, cid, connect, create_group, new_users, open_direct

@pytest.fixture(scope="module")
def stack(smtp_sink):
    root = Path(tempfile.mkdtemp(prefix="parley-cluster-"))
    s = Stack(root, smtp_sink.url)
    try:
        s.start()
    except AssertionError as e:
        tails = s.log_tails() if (root / "logs").exists() else ""
        try:
            s.stop()
        finally:
            pytest.fail(f"{e}\n{tails}", pytrace=False)
    yield s
    s.stop()
    reports = s.sanitizer_reports()
    assert not reports, f"sanitizer reports (logs kept in {root}): {reports}"
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def api(stack, smtp_sink):
    c = Client(stack.gateway, smtp_sink)
    yield c
    c.http.close()


def ws_nodes(stack: Stack):
    """The ws nodes that accept connections now (a client's load balancer)."""
    return lambda: [stack.nodes[n] for n in ("ws-1", "ws-2") if not port_free(stack.nodes[n].port)]


def history(api: Client, acct, chat: str) -> list[dict]:
    items, before = [], 0
    while True:
        params = {"limit": 100, **({"before": before} if before else {})}
        r = api.get(f"{CHATS}/{chat}/messages", token=acct.access, params=params)
        assert r.status_code == 200, describe(r)
        page = r.json()["items"]
        items = page + items
        if len(page) < 100:
            return items
        before = page[0]["seq"]


def assert_exactly_once(api: Client, members: list[Member], stored: dict[str, dict]) -> None:
    """The store, the acks and every member's view agree: each send once, seqs 1..N."""
    n = len(stored)
    msgs = history(api, members[0].acct, members[0].chat)
    assert [m["seq"] for m in msgs] == list(range(1, n + 1)), [m["seq"] for m in msgs][:50]
    by_client = {m["client_id"]: m for m in msgs}
    assert set(by_client) == set(stored), "the store and the acks disagree on what was sent"
    for key, ack in stored.items():
        assert (ack["seq"], ack["message_id"]) == (by_client[key]["seq"], by_client[key]["id"]), (key, ack)
    for m in members:
        for key, acks in m.acks.items():
            assert {(a["seq"], a["message_id"]) for a in acks} == {(stored[key]["seq"], stored[key]["message_id"])}
    deadline = time.monotonic() + 60
    for m in members:
        m.catch_up(deadline)
        assert m.seen == {x["seq"]: x["id"] for x in msgs}, (
            f"{m.name} is missing seqs {sorted(set(range(1, n + 1)) - set(m.seen))[:20]}")


def group_of(api: Client, n: int, stack: Stack, name: str, partitions=None) -> tuple[list, str, list[Member]]:
    """`n` members of a new group, connected; with `partitions`, a group whose send commands
    land in one of them."""
    users = new_users(api, n)
    for _ in range(200):
        chat = create_group(api, users[0], *users[1:], name=name)["id"]
        if partitions is None or partition_of(chat) in partitions:
            break
    else:
        raise AssertionError(f"no group landed in partitions {partitions}")
    members = [Member(u, chat, ws_nodes(stack), f"{name}{i}", first=i) for i, u in enumerate(users)]
    deadline = time.monotonic() + 60
    for m in members:
        m.connect(deadline)
    return users, chat, members


def with_fault(api: Client, stack: Stack, name: str, fault, per_member: int = 25, members_n: int = 4,
               partitions=None):
    """Starts a load, injects `fault()` once some sends are stored, waits for the load to
    finish and checks the exact counts."""
    _, _, members = group_of(api, members_n, stack, name, partitions)
    try:
        deadline = time.monotonic() + 240
        result: dict = {}
        loader = threading.Thread(target=lambda: result.update(stored=send_load(members, per_member, deadline)),
                                  daemon=True)
        loader.start()
        while started_sends(members) < members_n * per_member // 4 and loader.is_alive():
            time.sleep(0.05)
        before, began = started_sends(members), time.monotonic()
        fault()
        loader.join(260)
        assert "stored" in result, "the load did not finish (see the failures above)"
        assert before < members_n * per_member, "the fault came after the load"
        assert_exactly_once(api, members, result["stored"])
        print(f"\n{name}: {len(result['stored'])} sends, {before} stored before the fault, finished "
              f"{time.monotonic() - began:.1f} s after it; retryable errors "
              f"{sum(len(m.errors) for m in members)}, reconnections "
              f"{sum(len(m.connections) - 1 for m in members)}: "
              f"{[(c.name, c.close_code) for m in members for c in m.connections[:-1]]}")
        return members
    finally:
        for m in members:
            m.close()


# --------------------------------------------------------------------------- healthy stack

def test_every_process_is_ready_and_the_gateway_serves_the_app(stack, api):
    for node in stack.nodes.values():
        r = api.http.get(node.url("/readyz"), timeout=5)
        assert r.status_code == 200, f"{node.name}: {r.status_code}"
    r = api.get("/")
    assert r.status_code == 200 and "<html" in r.text.lower(), describe(r)


def test_clients_on_two_ws_nodes_exchange_messages_once_in_order(stack, api):
    users = new_users(api, 6)
    chat = create_group(api, users[0], *users[1:], name="across")["id"]
    # three members on each node, one of them through the gateway's tunnel
    places = [stack.nodes["ws-1"]] * 3 + [stack.nodes["ws-2"]] * 2 + [stack.gateway]
    conns = [connect(node, u, name=f"{u.username}@{node.name}") for node, u in zip(places, users)]
    try:
        per = 10
        keys = {c: [f"{c.name}-{i}-{cid()[:6]}" for i in range(per)] for c in conns}

        def send_all(c):
            for k in keys[c]:
                c.send({"type": "message.send", "id": k, "chat_id": chat, "client_id": k, "body": f"body of {k}"})

        parallel(send_all, conns)
        total = per * len(conns)
        is_new = lambda f: f["type"] == "message.new" and f["data"]["chat_id"] == chat  # noqa: E731
        for c in conns:
            c.wait_count(is_new, total, timeout=60, what="message.new")
        stored = {}
        for c in conns:
            answers = c.wait_count(lambda f: f["type"] in ("ack", "error") and f.get("id") in keys[c], 2 * per,
                                   timeout=60, what="answers")
            for k in keys[c]:
                mine = [f for f in answers if f["id"] == k]
                assert [f.get("status") for f in mine] == ["accepted", "stored"], mine
                stored[k] = mine[1]
        assert sorted(a["seq"] for a in stored.values()) == list(range(1, total + 1))
        for c in conns:
            c.barrier()
            news = [f["data"] for f in c.snapshot() if is_new(f)]
            assert [m["seq"] for m in news] == list(range(1, total + 1)), c.name
            assert {m["client_id"] for m in news} == set(stored), c.name
        assert [m["seq"] for m in history(api, users[0], chat)] == list(range(1, total + 1))
    finally:
        for c in conns:
            c.close()


def test_presence_and_typing_cross_nodes(stack, api):
    ann, bob = new_users(api, 2)
    chat = open_direct(api, ann, bob)["id"]
    a = connect(stack.nodes["ws-1"], ann, name="ann@ws-1")
    try:
        b = connect(stack.nodes["ws-2"], bob, name="bob@ws-2")
        a.wait_for(lambda f: f["type"] == "presence" and f["data"] == {"user_id": bob.user_id, "online": True,
                                                                        "last_seen": None}, what="bob online")
        # the chat service reads the same presence (Redis) as the nodes
        r = api.get(CHATS, token=ann.access)
        assert r.status_code == 200, describe(r)
        [listed] = [c for c in r.json()["items"] if c["id"] == chat]
        assert listed["presence"]["online"] is True, listed
        b.send({"type": "typing", "chat_id": chat})
        a.wait_type("typing", chat_id=chat, user_id=bob.user_id)
        b.close()
        a.wait_for(lambda f: f["type"] == "presence" and f["data"]["user_id"] == bob.user_id
                   and not f["data"]["online"], what="bob offline")
    finally:
        a.close()


def test_membership_changes_hold_at_once_on_every_node(stack, api):
    """The ws nodes and message instances keep membership answers in memory; a change the chat
    service makes must still hold for the very next request, whichever node or instance serves it."""
    ann, bob, cat = new_users(api, 3)
    chat = create_group(api, ann, bob, name="members")["id"]
    b = connect(stack.nodes["ws-1"], bob, name="bob@ws-1")
    c = connect(stack.nodes["ws-2"], cat, name="cat@ws-2")
    try:
        for _ in range(2):  # each answer asked twice, so that both are kept where they are cached
            _, stored = b.send_message(chat, cid(), "before")
            assert stored.get("status") == "stored", stored
            _, refused = c.send_message(chat, cid(), "not yet")
            assert refused.get("code") == "chat_not_found", refused
        assert c.request({"type": "typing", "chat_id": chat}).get("code") == "chat_not_found"
        r = api.post(f"{CHATS}/{chat}/members", token=ann.access, json={"user_id": cat.user_id})
        assert r.status_code == 200, describe(r)
        _, stored = c.send_message(chat, cid(), "in now")
        assert stored.get("status") == "stored", stored
        r = api.post(f"{CHATS}/{chat}/messages", token=cat.access, json={"client_id": cid(), "body": "over REST"})
        assert r.status_code == 201, describe(r)
        r = api.delete(f"{CHATS}/{chat}/members/{bob.user_id}", token=ann.access)
        assert r.status_code == 204, describe(r)
        _, refused = b.send_message(chat, cid(), "gone")
        assert refused.get("code") == "chat_not_found", refused
        assert_error(api.post(f"{CHATS}/{chat}/messages", token=bob.access, json={"client_id": cid(), "body": "x"}),
                     404, "chat_not_found")
        assert [m["body"] for m in history(api, ann, chat)] == ["before", "before", "in now", "over REST"]
    finally:
        b.close()
        c.close()


def test_concurrent_rest_sends_on_both_message_instances_arrive_in_order(stack, api):
    users = new_users(api, 4)
    chat = create_group(api, users[0], *users[1:], name="rest")["id"]
    watcher = connect(stack.nodes["ws-2"], users[0], name="watcher@ws-2")
    per = 10

    def post_all(u):
        c = Client(stack.gateway, api.smtp)  # its own connection: the gateway spreads them
        try:
            for i in range(per):
                r = c.post(f"{CHATS}/{chat}/messages", token=u.access, json={"client_id": f"rest-{i}", "body": f"{i}"})
                assert r.status_code == 201, describe(r)
        finally:
            c.http.close()

    try:
        parallel(post_all, users, timeout=120)
        total = per * len(users)
        news = watcher.wait_count(lambda f: f["type"] == "message.new", total, timeout=60, what="REST messages")
        assert [f["data"]["seq"] for f in news] == list(range(1, total + 1)), "live events out of seq order"
        again = api.post(f"{CHATS}/{chat}/messages", token=users[1].access, json={"client_id": "rest-3", "body": "x"})
        assert again.status_code == 200, describe(again)
        assert again.json()["id"] == next(f["data"]["id"] for f in news if f["data"]["sender_id"] == users[1].user_id
                                          and f["data"]["client_id"] == "rest-3")
        assert [m["seq"] for m in history(api, users[2], chat)] == list(range(1, total + 1))
    finally:
        watcher.close()


# --------------------------------------------------------------------------- limits across restarts

LOGIN, VERIFY, RESET = "/api/v1/auth/login", "/api/v1/auth/verify", "/api/v1/auth/password/reset"


def test_login_otp_and_reset_limits_hold_across_auth_restarts(stack, api, smtp_sink):
    """The buckets live in Redis and the code attempts in the store: restarting the auth
    service (here twice, with SIGTERM) gives an attacker no fresh budget."""
    per_min = 3  # the burst too; one token back every 20 s
    wrong = lambda code: f"{(int(code) + 1) % 1_000_000:06d}"  # noqa: E731
    victim = api.new_user()
    since = smtp_sink.count(victim.email)
    assert api.post("/api/v1/auth/password/forgot", json={"email": victim.email}).status_code == 202
    reset_code = smtp_sink.wait_for_code(victim.email, since=since)
    # an unverified account whose code is guessed until burnt
    name = unique_name()
    pending = f"{name}@example.com"
    assert api.register(pending, name, "correct horse battery").status_code == 201
    code = smtp_sink.wait_for_code(pending)
    for _ in range(5):
        assert_error(api.verify(pending, wrong(code)), 400, "invalid_code")
    assert_error(api.verify(pending, code), 429, "too_many_attempts")

    stack.restart("auth", {"PARLEY_RATE_ACCOUNT_PER_MIN": str(per_min)})
    for _ in range(per_min):
        assert_error(api.post(LOGIN, json={"email": victim.email, "password": "not the password"}),
                     401, "invalid_credentials")
        assert_error(api.post(RESET, json={"email": victim.email, "code": wrong(reset_code),
                                           "new_password": "brand new secret"}), 400, "invalid_code")
    emptied = time.monotonic()
    assert_error(api.post(LOGIN, json={"email": victim.email, "password": victim.password}), 429, "rate_limited")
    tried("abuse", 2 * per_min + 6 + 1)

    stack.restart("auth", {"PARLEY_RATE_ACCOUNT_PER_MIN": str(per_min)})
    elapsed = time.monotonic() - emptied
    refilled = int(elapsed * per_min / 60)  # what the buckets legitimately got back meanwhile
    assert refilled < per_min, f"the restart took {elapsed:.0f} s: too long to tell"

    def passes(request) -> int:
        """Requests let through before the first 429 rate_limited (a forgetful limiter: per_min)."""
        for n in range(per_min + 1):
            r = request()
            if r.status_code == 429:
                assert_error(r, 429, "rate_limited")
                assert r.headers.get("Retry-After", "").isdigit(), r.headers
                return n
        return per_min + 1

    # even the right password and the right code are refused: the buckets are still empty
    assert passes(lambda: api.post(LOGIN, json={"email": victim.email, "password": victim.password})) <= refilled
    assert passes(lambda: api.post(RESET, json={"email": victim.email, "code": reset_code,
                                                "new_password": "brand new secret"})) <= refilled
    # the burnt code stays burnt
    assert_error(api.verify(pending, code), 429, "too_many_attempts")
    tried("abuse", 3)

    stack.restart("auth")  # the stack's own limits again, for the next tests
    victim.login()


# --------------------------------------------------------------------------- faults
# --------------------------------------------------------------------------- faults

def test_kill_a_message_instance_the_other_takes_over(stack, api):
    owned = stack.settled_partitions(("message-1", "message-2"))["message-1"]
    # the load's chat is one message-1 stores: its commands in flight must move to message-2
    with_fault(api, stack, "mkill", lambda: stack.kill9("message-1"), partitions=owned)
    assert stack.settled_partitions(("message-2",)) == {"message-2": set(range(PARTITIONS))}
    stack.start()  # back to two instances for the next tests


def presence_in_list(api: Client, viewer, chat: str) -> bool:
    r = api.get(CHATS, token=viewer.access)
    assert r.status_code == 200, describe(r)
    [listed] = [c for c in r.json()["items"] if c["id"] == chat]
    return listed["presence"]["online"]


def test_kill_a_ws_node_its_clients_reconnect_to_the_other(stack, api):
    # carl stays on ws-1 and does not come back: once the node is dead he is offline for dora
    carl, dora = new_users(api, 2)
    chat = open_direct(api, carl, dora)["id"]
    c = connect(stack.nodes["ws-1"], carl, name="carl@ws-1")
    assert presence_in_list(api, dora, chat) is True
    killed = {}

    def fault():
        stack.kill9("ws-1")
        killed["at"] = time.monotonic()

    members = with_fault(api, stack, "wkill", fault)
    moved = [m for m in members if len(m.connections) > 1]
    assert moved, "no client was on the killed node"
    deadline = killed["at"] + 30
    while presence_in_list(api, dora, chat):
        assert time.monotonic() < deadline, "a dead node's user still online after 30 s"
        time.sleep(0.5)
    print(f"carl offline {time.monotonic() - killed['at']:.1f} s after his node died")
    c.abort()
    stack.start()


def test_restart_redis(stack, api):
    def fault():
        stack.infra("redis", "stop")
        time.sleep(2)
        stack.infra("redis", "start")
    with_fault(api, stack, "rrestart", fault)


def test_restart_kafka(stack, api):
    def fault():
        stack.infra("kafka", "stop")
        time.sleep(2)
        stack.infra("kafka", "start")
    members = with_fault(api, stack, "krestart", fault)
    refused = [e for m in members for e in m.errors]
    # while the broker was down, sends were refused with a retryable error, not left hanging
    assert all(e["code"] in ("log_unavailable", "unavailable") for e in refused), refused
