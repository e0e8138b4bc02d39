import re
from pathlib import Path

import pytest

from adapters.ckw import CkwChannel
from adapters.http_push import HttpPushChannel
from adapters.inbox import InboxChannel
from hub.directory.loader import BUNDLED_DIRECTORY, DirectoryError, load_directory
from hub.keys import self_signed
from hub.standard.codes import DEFAULT_LIMITS, Action, AssetClass

A = Action
SEAL_FLOW = {A.QUERY, A.SEAL, A.RENEW, A.RELEASE}
FUNDS_FLOW = {A.QUERY, A.FREEZE, A.DEDUCT, A.RENEW, A.RELEASE}

FIXED = {
    "real-estate": ("安图县不动产登记中心", SEAL_FLOW, {AssetClass.REAL_ESTATE, AssetClass.LAND_RIGHT}),
    "vehicles": (
        "安图县公安局交通管理大队车辆管理所",
        SEAL_FLOW | {A.SEIZE, A.TRANSFER},
        {AssetClass.VEHICLE},
    ),
    "housing-fund": ("延边州住房公积金管理中心安图县管理部", FUNDS_FLOW, {AssetClass.FUND_ACCOUNT}),
    "civil-affairs": (None, {A.QUERY}, None),
    "forestry": (None, SEAL_FLOW, {AssetClass.FOREST_RIGHT}),
    "market-regulation": (None, {A.QUERY, A.FREEZE, A.RENEW, A.RELEASE}, {AssetClass.EQUITY}),
    "insurer-picc": ("中国人民财产保险股份有限公司安图支公司", FUNDS_FLOW, {AssetClass.INSURANCE_POLICY}),
    "insurer-chinalife": (None, FUNDS_FLOW, {AssetClass.INSURANCE_POLICY}),
    "town-mingyue": ("明月镇人民政府", {A.LOCATE_PERSON}, set()),
    "town-songjiang": ("松江镇人民政府", {A.LOCATE_PERSON}, set()),
    "organization-dept": ("中共安图县委组织部", {A.CREDIT_NOTICE}, set()),
    "peoples-congress": ("安图县人民代表大会常务委员会", {A.CREDIT_NOTICE}, set()),
    "cppcc": ("政协安图县委员会", {A.CREDIT_NOTICE}, set()),
    "discipline-commission": ("中共安图县纪律检查委员会 安图县监察委员会", {A.CREDIT_NOTICE}, set()),
    # 预查封 and 协助过户 of houses: the registry's 查控 client (real-estate) knows 查封, 续封, 解封 only
    "housing-admin": (None, SEAL_FLOW | {A.PRE_SEAL, A.TRANSFER}, {AssetClass.REAL_ESTATE}),
    "agriculture": (None, {A.QUERY}, {AssetClass.LAND_RIGHT}),
    "tax": (None, {A.QUERY}, None),
    "public-security": (None, {A.QUERY, A.LOCATE_PERSON}, None),
    "social-security": (None, {A.QUERY}, None),
}
TOWNS = ["明月镇", "松江镇", "二道白河镇", "两江镇", "石门镇", "万宝镇", "亮兵镇", "永庆乡"]

# Asset classes each control action can apply to (DOMAIN.md).
C = AssetClass
FITS = {
    A.SEAL: {C.REAL_ESTATE, C.VEHICLE, C.FOREST_RIGHT, C.LAND_RIGHT, C.OTHER},
    A.SEIZE: {C.VEHICLE, C.MOVABLE},
    A.FREEZE: {C.DEPOSIT, C.FUND_ACCOUNT, C.INSURANCE_POLICY, C.EQUITY, C.OTHER},
    A.DEDUCT: {C.DEPOSIT, C.FUND_ACCOUNT, C.INSURANCE_POLICY},
}
PROPERTY_ACTIONS = {A.SEAL, A.SEIZE, A.FREEZE, A.DEDUCT, A.RENEW, A.RELEASE}


@pytest.fixture(scope="module")
def bundled():
    return load_directory(BUNDLED_DIRECTORY)


def test_bundled_directory_loads(bundled):
    assert [c.code for c in bundled.courts] == ["J2426"]
    assert bundled.courts[0].name == "安图县人民法院"
    assert len(bundled.units) == 41
    codes = [u.code for u in bundled.units]
    assert len(set(codes)) == 41
    assert all(re.fullmatch(r"[a-z0-9-]{2,40}", c) for c in codes)


@pytest.mark.parametrize("code", sorted(FIXED))
def test_fixed_units(bundled, code):
    name, actions, classes = FIXED[code]
    unit = bundled.unit(code)
    assert unit is not None
    assert set(unit.actions) == actions
    if name is not None:
        assert unit.name == name
    if classes is not None:
        assert set(unit.asset_classes) == classes


def test_every_town_and_township(bundled):
    towns = [u for u in bundled.units if u.category == "township"]
    assert sorted(u.name for u in towns) == sorted(f"{t}人民政府" for t in TOWNS)
    for unit in towns:
        assert re.fullmatch(r"(town|township)-[a-z]+", unit.code)
        assert A.LOCATE_PERSON in unit.actions
        assert set(unit.actions) <= {A.LOCATE_PERSON, A.QUERY}
    assert {u.code for u in bundled.capable(A.LOCATE_PERSON)} >= {u.code for u in towns}


def test_insurers(bundled):
    insurers = [u for u in bundled.units if u.category == "insurance"]
    assert len(insurers) >= 2
    for unit in insurers:
        assert unit.code.startswith("insurer-")
        assert set(unit.actions) == FUNDS_FLOW and unit.asset_classes == [AssetClass.INSURANCE_POLICY]


def test_oversight_bodies_do_not_control_property(bundled):
    for unit in bundled.units:
        if unit.category == "oversight" or A.CREDIT_NOTICE in unit.actions:
            assert set(unit.actions) == {A.CREDIT_NOTICE}, unit.code
            assert unit.asset_classes == []


def test_contacts_and_channels(bundled):
    for unit in bundled.units:
        assert unit.contacts.staff and all(e.endswith("@example.org") for e in unit.contacts.staff)
        assert unit.contacts.supervisor.endswith("@example.org")
        assert unit.fallback == []
        if unit.code in ("real-estate", "rural-bank"):  # their own systems poll the 查控 service
            assert isinstance(unit.channel, CkwChannel) and unit.channel.password_env.startswith("HUB_CKW_")
        else:
            assert isinstance(unit.channel, InboxChannel)
    assert bundled.courts[0].supervisor.endswith("@example.org")


def test_asset_classes_fit_actions(bundled):
    for unit in bundled.units:
        actions, classes = set(unit.actions), set(unit.asset_classes)
        if actions & PROPERTY_ACTIONS:
            assert classes, unit.code
        if actions <= {A.LOCATE_PERSON, A.CREDIT_NOTICE}:
            assert not classes, unit.code
        controls = [a for a in FITS if a in actions]
        for action in controls:
            assert classes & FITS[action], (unit.code, action)
        if controls:
            assert all(any(c in FITS[a] for a in controls) for c in classes), unit.code


def test_limits(bundled):
    assert bundled.unit("civil-affairs").limit(A.QUERY) == 5
    assert bundled.unit("real-estate").limit(A.SEAL) == DEFAULT_LIMITS[A.SEAL]
    assert bundled.unit("town-mingyue").limit(A.LOCATE_PERSON) == DEFAULT_LIMITS[A.LOCATE_PERSON]
    with pytest.raises(ValueError):
        bundled.unit("town-mingyue").limit(A.SEAL)
    for unit in bundled.units:
        assert set(unit.limits) <= set(unit.actions)


def test_lookup_helpers(bundled):
    assert bundled.unit("nope") is None
    assert {u.code for u in bundled.capable(A.SEIZE)} == {"vehicles"}
    assert "real-estate" in {u.code for u in bundled.capable(A.SEAL)}


COURT = '[[courts]]\ncode = "J2426"\nname = "安图县人民法院"\nsupervisor = "j2426.supervisor@example.org"\n'


def unit_toml(code="vehicles", actions='["QUERY", "SEAL"]', extra="", classes='["VEHICLE"]'):
    return (
        f'[[units]]\ncode = "{code}"\nname = "车管所"\ncategory = "vehicles"\nactions = {actions}\n'
        f"asset_classes = {classes}\n"
        f'contacts.staff = ["{code}.staff@example.org"]\n'
        f'contacts.supervisor = "{code}.supervisor@example.org"\n'
        f"{extra}\n"
    )


def write(tmp_path: Path, *units: str) -> Path:
    path = tmp_path / "units.toml"
    path.write_text(COURT + "".join(units), encoding="utf-8")
    return path


def refused(path: Path) -> str:
    with pytest.raises(DirectoryError) as info:
        load_directory(path)
    return str(info.value)


def test_minimal_entry_defaults(tmp_path):
    directory = load_directory(write(tmp_path, unit_toml()))
    unit = directory.unit("vehicles")
    assert isinstance(unit.channel, InboxChannel) and unit.limits == {} and unit.fallback == []


def test_http_push_channel(tmp_path):
    extra = 'channel = { kind = "http-push", url = "https://unit.example.org/in", token_env = "HUB_TOKEN" }'
    unit = load_directory(write(tmp_path, unit_toml(extra=extra))).unit("vehicles")
    assert isinstance(unit.channel, HttpPushChannel) and unit.channel.timeout_s == 10


def test_fallback_chain_from_bare_kinds_and_tables(tmp_path):
    extra = (
        'channel = { kind = "http-push", url = "http://127.0.0.1:9/in", token_env = "HUB_TOKEN" }\n'
        'fallback = ["email", { kind = "folder", outbox = "/srv/out", inbox = "/srv/in" }, "inbox"]'
    )
    unit = load_directory(write(tmp_path, unit_toml(extra=extra))).unit("vehicles")
    assert [c.kind for c in unit.channels] == ["http-push", "email", "folder", "inbox"]
    assert unit.fallback[0].to == ["vehicles.staff@example.org"]  # a bare "email" goes to the staff


BROKEN = [
    pytest.param(
        [unit_toml("other-unit"), unit_toml(extra='channel = { kind = "fax" }')],
        ["unit 'vehicles' (units[1]): channel: ", "fax"],
        id="unknown-channel",
    ),
    pytest.param(
        [unit_toml(actions='["QUERY", "TELEPORT"]')],
        ["unit 'vehicles' (units[0]): actions[1]: ", "TELEPORT"],
        id="unknown-action",
    ),
    pytest.param(
        [unit_toml(extra='channel = { kind = "http-push", token_env = "HUB_TOKEN" }')],
        ["unit 'vehicles' (units[0]): channel.url: field required"],
        id="http-push-without-url",
    ),
    pytest.param(
        [
            unit_toml(
                extra='channel = { kind = "http-push", url = "https://hub:s3cret@unit.example.org/in", '
                'token_env = "HUB_TOKEN" }'
            )
        ],
        ["unit 'vehicles' (units[0]): channel.url: ", "give the unit's secret in token_env"],
        id="http-push-url-with-password",
    ),
    pytest.param(
        [unit_toml(extra='channel = { kind = "email", to = ["not-an-address"] }')],
        ["unit 'vehicles' (units[0]): channel.to[0]: ", "email"],
        id="bad-email-channel",
    ),
    pytest.param(
        [unit_toml().replace("vehicles.supervisor@", "@")],
        ["unit 'vehicles' (units[0]): contacts.supervisor: ", "email"],
        id="bad-email-contact",
    ),
    pytest.param(
        [unit_toml(), unit_toml()],
        ["unit 'vehicles' (units[1]): code: duplicate of units[0]"],
        id="duplicate-code",
    ),
    pytest.param(
        [unit_toml(extra="limits = { DEDUCT = 2 }")],
        ["unit 'vehicles' (units[0]): limits: DEDUCT not among the unit's actions"],
        id="limit-for-unsupported-action",
    ),
    pytest.param(
        [unit_toml(extra="limits = { QUERY = 0 }")],
        ["unit 'vehicles' (units[0]): limits.QUERY: "],
        id="limit-zero",
    ),
    pytest.param(
        [unit_toml(classes="[]")],
        ["unit 'vehicles' (units[0]): asset_classes: "],
        id="controls-without-assets",
    ),
    pytest.param(
        [unit_toml(actions='["QUERY", "FREEZE", "DEDUCT"]', classes='["EQUITY", "SECURITIES"]')],
        [
            "unit 'vehicles' (units[0]): asset_classes: DEDUCT needs one of ",
            "PAYMENT_ACCOUNT, INCOME, RECEIVABLE",
        ],
        id="deduct-without-money",
    ),
    pytest.param(
        [unit_toml(actions='["QUERY", "SEAL", "PRE_SEAL", "TRANSFER"]', classes='["VEHICLE"]')],
        ["unit 'vehicles' (units[0]): asset_classes: PRE_SEAL needs one of REAL_ESTATE, LAND_RIGHT"],
        id="pre-seal-without-houses-or-land",
    ),
    pytest.param(
        [unit_toml(actions='["QUERY", "QUERY"]')],
        ["unit 'vehicles' (units[0]): actions: duplicate QUERY"],
        id="duplicate-action",
    ),
    pytest.param(
        [unit_toml(extra='colour = "red"')],
        ["unit 'vehicles' (units[0]): colour: extra inputs are not permitted"],
        id="unknown-key",
    ),
    pytest.param([unit_toml(code="Vehicles!")], ["unit 'Vehicles!' (units[0]): code: "], id="bad-code"),
    pytest.param(
        [unit_toml(extra='fallback = ["inbox"]')],
        ["unit 'vehicles' (units[0]): fallback: "],
        id="fallback-repeats-primary",
    ),
    pytest.param(
        [unit_toml(extra='fallback = ["http-push"]')],
        ["unit 'vehicles' (units[0]): ", "'http-push' needs its keys: write it as a table"],
        id="bare-http-push-fallback",
    ),
    pytest.param(
        [unit_toml(extra='fallback = ["email", { kind = "email", to = ["x@example.org"] }]')],
        ["unit 'vehicles' (units[0]): fallback: repeats the channel kind 'email'"],
        id="fallback-repeats-a-kind",
    ),
]


@pytest.mark.parametrize(("units", "expected"), BROKEN)
def test_broken_entries_are_refused(tmp_path, units, expected):
    message = refused(write(tmp_path, *units))
    assert message.startswith(f"{tmp_path / 'units.toml'}: ")
    for part in expected:
        assert part in message, message


def test_missing_unit_key_without_code(tmp_path):
    message = refused(write(tmp_path, unit_toml().replace('code = "vehicles"\n', "")))
    assert "units[0]: code: field required" in message


def test_toml_syntax_error_names_line(tmp_path):
    path = write(tmp_path, unit_toml() + "name = = 'x'\n")
    message = refused(path)
    assert str(path) in message and "line" in message


def test_missing_file(tmp_path):
    assert "cannot read" in refused(tmp_path / "absent.toml")


def test_no_courts(tmp_path):
    path = tmp_path / "units.toml"
    path.write_text(unit_toml(), encoding="utf-8")
    assert "courts" in refused(path)


@pytest.fixture(scope="module")
def cert_pem() -> str:
    return self_signed("车管所").cert_pem.decode()


def test_certificates_from_files_beside_the_directory_and_inline(tmp_path, cert_pem):
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "vehicles.pem").write_text(cert_pem)
    inline = cert_pem.replace("\n", "\\n")
    extra = f'certificates = ["certs/vehicles.pem", "{inline}"]\nrequire_signature = true'
    unit = load_directory(write(tmp_path, unit_toml(extra=extra))).unit("vehicles")
    assert unit.certificates == [cert_pem, cert_pem] and unit.require_signature
    assert load_directory(write(tmp_path, unit_toml())).unit("vehicles").require_signature is False


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            'certificates = ["certs/absent.pem"]',
            "certificates: cannot read certificate file 'certs/absent.pem'",
        ),
        ('certificates = ["units.toml"]', "certificates: 'units.toml' is not a PEM certificate"),
        ("require_signature = true", "require_signature: needs at least one certificate to verify with"),
    ],
    ids=["missing-file", "not-a-certificate", "required-without-certificate"],
)
def test_unusable_certificates_are_refused_naming_the_unit(tmp_path, extra, expected):
    message = refused(write(tmp_path, unit_toml(extra=extra)))
    assert "unit 'vehicles' (units[0]): " in message and expected in message, message


def _with_channel(text: str, code: str, channel: str) -> str:
    head, tail = text.split(f'code = "{code}"', 1)
    before, after = tail.split('channel.kind = "inbox"', 1)
    return head + f'code = "{code}"' + before + f"channel = {channel}" + after


def test_a_polling_unit_must_be_fetched_all_it_does_and_its_username_is_its_own(tmp_path):
    text = BUNDLED_DIRECTORY.read_text(encoding="utf-8")
    # the registries' clients fetch seals, renewals, releases and queries: a seizure would wait unseen
    seizing = _with_channel(
        text, "vehicles", '{ kind = "ckw", profile = "real-estate", username = "cgs", password_env = "X" }'
    )
    path = tmp_path / "units.toml"
    path.write_text(seizing, encoding="utf-8")
    with pytest.raises(DirectoryError, match=r"vehicles.*never fetch SEIZE"):
        load_directory(path)
    # two units with one username: each could use the other's address
    shared = _with_channel(
        text,
        "forestry",  # it does what the registry client fetches (housing-admin pre-seals and transfers too)
        '{ kind = "ckw", profile = "real-estate", username = "bdc-antu", password_env = "Y" }',
    )
    path.write_text(shared, encoding="utf-8")
    with pytest.raises(DirectoryError, match=r"'bdc-antu' is unit 'real-estate'"):
        load_directory(path)
