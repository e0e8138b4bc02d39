"""A failed delivery as each reader sees it: administrators read what the channel said, the court's officers
and the unit's staff only why, in plain words (never the unit's answer or its server's paths)."""

from conftest import sign_in, submit
from loopback import Answer

ANSWER = "denied by policy 7; see /srv/registry/app/conf/hub.yml"
PUSH = {"kind": "http-push", "token_env": "HUB_TEST_PUSH_SECRET", "timeout_s": 2}


def test_a_refused_push_shows_officers_why_and_administrators_what(
    client, visitor, token, switch, endpoint, worker, monkeypatch
):
    monkeypatch.setenv("HUB_TEST_PUSH_SECRET", "s3cret-for-tests")
    endpoint.answer(Answer(403, ANSWER.encode(), "text/plain"))
    switch("real-estate", {**PUSH, "url": endpoint.url})
    request = submit(client, token("officer"), "request-query.xml")
    worker.run_deliveries()
    [task] = [t for t in request["tasks"] if t["unit_code"] == "real-estate"]
    path = f"/api/v1/tasks/{task['id']}/deliveries"

    for reader in ("officer", "staff-real-estate"):
        answer = client.get(path, headers=token(reader))
        assert answer.status_code == 200
        assert "/srv/" not in answer.text and "denied" not in answer.text
        [delivery] = answer.json()
        assert delivery["status"] == "failed"
        assert delivery["last_error"] == "The unit's system refused the task (HTTP 403)."
        assert [a["error"] for a in delivery["attempt_log"]] == [delivery["last_error"]]

    sign_in(visitor, "officer")
    page = visitor.get(f"/requests/{request['id']}").text
    assert "接口推送：送达失败，尝试 1 次（对方拒收：HTTP 403）" in page
    assert "/srv/" not in page and "denied" not in page

    administrator = client.get(path, headers=token("admin")).json()[0]
    assert administrator["last_error"] == f"{endpoint.url}: HTTP 403: {ANSWER}"
    sign_in(visitor, "admin")
    queue = visitor.get("/admin/deliveries").text
    assert f"{endpoint.url}: HTTP 403: {ANSWER}" in queue
