"""Who may do what: the declared policy of every route of the hub, one line per route (issue 6).

tests/security/test_authorization.py walks the application's own route table against this table: a route
with no line here fails, so does a line that names no route, and every line is tried for every caller.

A line says the face of the route, what its path names (the object), and which roles may call it, each
with its scope. A role not named is refused: 403, whatever the object.
- API: a bearer token. No token: 401.
- WEB: the session cookie of a signed-in person. No session: a redirect to /login. A unit's system has a
  token and no password, so it has no session: its token opens no page.
- PUBLIC: anyone, signed in or not.
- SOAP: a unit's own system, by the usermarker in the SOAP body (the 查控 service): not walked here, its
  Faults are HTTP 500 by design; tests/ckw/test_registry_client.py and test_hostile_ckw.py try it.
Scopes:
- ANY: every object (administrators), or an object nobody owns (the unit directory, a user account).
- COURT: its own court's objects only; another court's is 403 or 404, and none of its data is shown.
- UNIT: its own unit's objects only, the same way.
- LISTED: a list, filtered to the caller's own court or unit: another's items are never in it.
"""

from dataclasses import dataclass

OFFICER, SUPERVISOR, STAFF, SYSTEM, ADMIN, ANONYMOUS = (
    "officer",
    "supervisor",
    "unit_staff",
    "unit_system",
    "admin",
    "anonymous",
)
ROLES = (OFFICER, SUPERVISOR, STAFF, SYSTEM, ADMIN, ANONYMOUS)
COURT_ROLES = (OFFICER, SUPERVISOR)
UNIT_ROLES = (STAFF, SYSTEM)

API, WEB, PUBLIC, SOAP = "api", "web", "public", "soap"
ANY, COURT, UNIT, LISTED = "any", "court", "unit", "listed"


@dataclass(frozen=True)
class Policy:
    face: str
    on: str | None  # what the path names: request, task, receipt, control, delivery, unit, debtor, ...
    may: dict[str, str]  # role -> scope; a role not named is refused (403)


def api(on: str | None, may: dict[str, str]) -> Policy:
    return Policy(API, on, may)


def web(on: str | None, may: dict[str, str]) -> Policy:
    return Policy(WEB, on, may)


OPEN = Policy(PUBLIC, None, {})
BY_USERMARKER = Policy(SOAP, "unit", {})

# What owns an object of each kind a path can name: its court, its unit (a request's: the units it asks).
OWNERS: dict[str, tuple[str, ...]] = {
    "request": (COURT, UNIT),
    "task": (COURT, UNIT),
    "receipt": (COURT, UNIT),
    "control": (COURT, UNIT),
    "waitlisted control": (COURT, UNIT),
    "delivery": (COURT, UNIT),
    "debtor": (COURT,),
    "unit": (UNIT,),
    "user": (),
    "token": (),
}


def owns(on: str | None, role: str) -> bool:
    """Whether a caller of `role` can own an object of kind `on`: by its court, or by its unit."""
    owners = OWNERS[on] if on else ()
    return (role in COURT_ROLES and COURT in owners) or (role in UNIT_ROLES and UNIT in owners)


# Who, with which scope, in the combinations the hub uses.
EVERYONE = {OFFICER: ANY, SUPERVISOR: ANY, STAFF: ANY, SYSTEM: ANY, ADMIN: ANY}
EVERYONE_LISTED = {OFFICER: LISTED, SUPERVISOR: LISTED, STAFF: LISTED, SYSTEM: LISTED, ADMIN: ANY}
COURT_LISTED = {OFFICER: LISTED, SUPERVISOR: LISTED, ADMIN: ANY}
COURT_READ = {OFFICER: COURT, SUPERVISOR: COURT, ADMIN: ANY}
TASK_READ = {OFFICER: COURT, SUPERVISOR: COURT, STAFF: UNIT, SYSTEM: UNIT, ADMIN: ANY}
UNIT_ANSWERS = {STAFF: UNIT, SYSTEM: UNIT}
UNIT_INBOX = {STAFF: UNIT, SYSTEM: UNIT, ADMIN: ANY}
OFFICER_SENDS = {OFFICER: ANY}  # the document names the court; another court's is refused (403)
OFFICER_OWN = {OFFICER: COURT}
# controls made before the hub: an officer for his court, an administrator for any
IMPORTERS = {OFFICER: ANY, ADMIN: ANY}
ADMIN_ONLY = {ADMIN: ANY}
# The web pages: a unit's system never signs in.
PEOPLE = {OFFICER: ANY, SUPERVISOR: ANY, STAFF: ANY, ADMIN: ANY}
WEB_TASK_READ = {OFFICER: COURT, SUPERVISOR: COURT, STAFF: UNIT, ADMIN: ANY}
WEB_UNIT_ANSWERS = {STAFF: UNIT}
WEB_COURT_ONLY = {OFFICER: COURT, SUPERVISOR: COURT}  # controls and debtors: not for administrators
WEB_COURT_LISTED = {OFFICER: LISTED, SUPERVISOR: LISTED}
SUPERVISORS = {SUPERVISOR: LISTED, ADMIN: ANY}
UNIT_STAFF_ONLY = {STAFF: LISTED}

# fmt: off
POLICIES: dict[tuple[str, str], Policy] = {
    # --- the API -------------------------------------------------------------------------------------
    ("POST", "/api/v1/requests"):                               api(None, OFFICER_SENDS),
    ("GET", "/api/v1/requests"):                                api(None, COURT_LISTED),
    ("GET", "/api/v1/requests/{request_id}"):                   api("request", COURT_READ),
    ("POST", "/api/v1/requests/{request_id}/cancel"):           api("request", OFFICER_OWN),
    ("GET", "/api/v1/units/{unit_code}/tasks"):                 api("unit", UNIT_INBOX),
    ("GET", "/api/v1/tasks/{task_id}"):                         api("task", TASK_READ),
    ("GET", "/api/v1/tasks/{task_id}/document"):                api("task", TASK_READ),
    ("GET", "/api/v1/tasks/{task_id}/files/{filename}"):        api("task", TASK_READ),
    ("GET", "/api/v1/tasks/{task_id}/receipts"):                api("task", TASK_READ),
    ("GET", "/api/v1/tasks/{task_id}/deliveries"):              api("task", TASK_READ),
    ("POST", "/api/v1/tasks/{task_id}/receipts"):               api("task", UNIT_ANSWERS),
    ("POST", "/api/v1/tasks/{task_id}/objection-answer"):       api("task", OFFICER_OWN),
    ("GET", "/api/v1/receipts/{receipt_id}/document"):          api("receipt", TASK_READ),
    ("GET", "/api/v1/receipts/{receipt_id}/files/{filename}"):  api("receipt", TASK_READ),
    ("GET", "/api/v1/controls"):                                api(None, EVERYONE_LISTED),
    ("GET", "/api/v1/controls/{control_id}/renewal-draft"):     api("control", COURT_READ),
    ("GET", "/api/v1/controls/{control_id}/history"):           api("control", TASK_READ),
    ("GET", "/api/v1/units"):                                   api(None, EVERYONE),
    ("GET", "/api/v1/units/{unit_code}"):                       api("unit", EVERYONE),
    ("GET", "/api/v1/deliveries"):                              api(None, ADMIN_ONLY),
    ("GET", "/api/v1/deliveries/{delivery_id}"):                api("delivery", TASK_READ),
    ("POST", "/api/v1/deliveries/{delivery_id}/serve-again"):   api("delivery", ADMIN_ONLY),
    ("GET", "/api/v1/alerts"):                                  api(None, EVERYONE_LISTED),
    ("GET", "/api/v1/supervision/units"):                       api(None, COURT_LISTED),
    ("GET", "/api/v1/supervision/units.csv"):                   api(None, COURT_LISTED),
    ("GET", "/api/v1/users/{user_id}/cards"):                   api("user", ADMIN_ONLY),
    ("PUT", "/api/v1/users/{user_id}/cards"):                   api("user", ADMIN_ONLY),
    ("GET", "/api/v1/users/{user_id}/cards/work-card"):         api("user", ADMIN_ONLY),
    ("PUT", "/api/v1/users/{user_id}/cards/work-card"):         api("user", ADMIN_ONLY),
    ("GET", "/api/v1/users/{user_id}/cards/credential-card"):   api("user", ADMIN_ONLY),
    ("PUT", "/api/v1/users/{user_id}/cards/credential-card"):   api("user", ADMIN_ONLY),
    # --- signing in, and the home of each role --------------------------------------------------------
    ("GET", "/login"):                                          OPEN,
    ("POST", "/login"):                                         OPEN,
    ("POST", "/logout"):                                        web(None, PEOPLE),
    ("GET", "/"):                                               web(None, PEOPLE),
    # --- the officer's pages ------------------------------------------------------------------------
    ("GET", "/requests"):                                       web(None, COURT_LISTED),
    ("GET", "/requests/new"):                                   web(None, OFFICER_SENDS),
    ("POST", "/requests/new"):                                  web(None, OFFICER_SENDS),
    ("POST", "/requests/upload"):                               web(None, OFFICER_SENDS),
    ("GET", "/requests/batch"):                                 web(None, OFFICER_SENDS),
    ("POST", "/requests/batch"):                                web(None, OFFICER_SENDS),
    ("GET", "/requests/{request_id}"):                          web("request", COURT_READ),
    ("POST", "/requests/{request_id}/cancel"):                  web("request", OFFICER_OWN),
    ("GET", "/requests/{request_id}/notice"):                   web("request", COURT_READ),
    ("GET", "/requests/{request_id}/document"):                 web("request", COURT_READ),
    ("GET", "/requests/{request_id}/files/{filename}"):         web("request", COURT_READ),
    ("GET", "/requests/{request_id}/receipts/{receipt_id}/document"):            web("receipt", COURT_READ),
    ("GET", "/requests/{request_id}/receipts/{receipt_id}/files/{filename}"):    web("receipt", COURT_READ),
    ("GET", "/controls"):                                       web(None, WEB_COURT_LISTED),
    ("GET", "/controls/import"):                                web(None, IMPORTERS),
    ("POST", "/controls/import"):                               web(None, IMPORTERS),
    ("POST", "/controls/import/confirm"):                       web(None, IMPORTERS),
    ("GET", "/controls/import/template.csv"):                   web(None, IMPORTERS),
    ("GET", "/controls/{control_id}"):                          web("control", WEB_COURT_ONLY),
    ("GET", "/controls/{control_id}/renew"):                    web("control", OFFICER_OWN),
    ("POST", "/controls/{control_id}/renew"):                   web("control", OFFICER_OWN),
    ("GET", "/controls/{control_id}/release"):                  web("control", OFFICER_OWN),
    ("POST", "/controls/{control_id}/release"):                 web("control", OFFICER_OWN),
    ("GET", "/debtors"):                                        web(None, WEB_COURT_LISTED),
    ("GET", "/debtors/{id_number}"):                            web("debtor", WEB_COURT_ONLY),
    # --- the unit staff's pages ---------------------------------------------------------------------
    ("GET", "/inbox"):                                          web(None, UNIT_STAFF_ONLY),
    ("GET", "/units/{unit_code}/tasks"):                        web("unit", PEOPLE),  # the e-mails' link: to /inbox
    ("GET", "/tasks/{task_id}"):                                web("task", WEB_TASK_READ),
    ("GET", "/tasks/{task_id}/notice"):                         web("task", WEB_TASK_READ),
    ("GET", "/tasks/{task_id}/document"):                       web("task", WEB_TASK_READ),
    ("GET", "/tasks/{task_id}/files/{filename}"):               web("task", WEB_TASK_READ),
    ("GET", "/tasks/{task_id}/receipts/{receipt_id}/document"):                 web("receipt", WEB_TASK_READ),
    ("GET", "/tasks/{task_id}/receipts/{receipt_id}/files/{filename}"):         web("receipt", WEB_TASK_READ),
    ("POST", "/tasks/{task_id}/receipt"):                       web("task", WEB_UNIT_ANSWERS),
    ("POST", "/tasks/{task_id}/acknowledge"):                   web("task", WEB_UNIT_ANSWERS),
    ("POST", "/tasks/{task_id}/objection"):                     web("task", WEB_UNIT_ANSWERS),
    ("POST", "/tasks/{task_id}/receipt-xml"):                   web("task", WEB_UNIT_ANSWERS),
    ("POST", "/tasks/{task_id}/controls/{control_id}/report"):  web("waitlisted control", WEB_UNIT_ANSWERS),
    # --- the supervisor's pages ---------------------------------------------------------------------
    ("GET", "/supervision"):                                    web(None, SUPERVISORS),
    ("GET", "/supervision.csv"):                                web(None, SUPERVISORS),
    # --- the administrator's pages --------------------------------------------------------------------
    ("GET", "/admin"):                                          web(None, ADMIN_ONLY),
    ("GET", "/admin/units"):                                    web(None, ADMIN_ONLY),
    ("GET", "/admin/users"):                                    web(None, ADMIN_ONLY),
    ("POST", "/admin/users/{user_id}/tokens"):                  web("user", ADMIN_ONLY),
    ("POST", "/admin/users/{user_id}/unlock"):                  web("user", ADMIN_ONLY),
    ("POST", "/admin/users/{user_id}/reactivate"):              web("user", ADMIN_ONLY),
    ("GET", "/admin/users/{user_id}/cards"):                    web("user", ADMIN_ONLY),
    ("POST", "/admin/users/{user_id}/cards"):                   web("user", ADMIN_ONLY),
    # and to the officer or supervisor they belong to (tests/web/test_card_pages.py)
    ("GET", "/users/{user_id}/cards/work-card"):                web("user", ADMIN_ONLY),
    ("GET", "/users/{user_id}/cards/credential-card"):          web("user", ADMIN_ONLY),
    ("GET", "/me/cards"):                                       web(None, {OFFICER: ANY, SUPERVISOR: ANY}),
    ("POST", "/admin/sources/unlock"):                          web(None, ADMIN_ONLY),
    ("POST", "/admin/tokens/{token_id}/revoke"):                web("token", ADMIN_ONLY),
    ("GET", "/admin/calendar"):                                 web(None, ADMIN_ONLY),
    ("POST", "/admin/calendar"):                                web(None, ADMIN_ONLY),
    ("GET", "/admin/deliveries"):                               web(None, ADMIN_ONLY),
    ("POST", "/admin/deliveries/{delivery_id}/serve-again"):    web("delivery", ADMIN_ONLY),
    ("GET", "/admin/alerts"):                                   web(None, ADMIN_ONLY),
    # --- health, documentation, static files --------------------------------------------------------
    ("GET", "/healthz"):                                        OPEN,
    ("GET", "/readyz"):                                         OPEN,
    # counts per unit, no case data: 404 unless HUB_METRICS_OPEN (as in the test world) or, to a
    # scraper's token, HUB_METRICS_TOKEN (tests/ops, tests/security/test_served_content.py)
    ("GET", "/metrics"):                                        OPEN,
    # 404 unless HUB_API_DOCS, on by default in demo mode (as in the test world)
    ("GET", "/openapi.json"):                                   OPEN,
    ("GET", "/docs"):                                           OPEN,
    ("GET", "/static/{path}"):                                  OPEN,
    # --- the 查控 service: the unit named by the address, proved by the usermarker in the body ------------
    ("GET", "/ws/ckw/{unit_code}"):                             BY_USERMARKER,
    ("POST", "/ws/ckw/{unit_code}"):                            BY_USERMARKER,
}
# fmt: on
