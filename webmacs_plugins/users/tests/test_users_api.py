"""The users API as an admin and as ordinary users would use it."""

from webmacs_sdk.testing.pytest_plugin import login

NEW = {"email": "ada@example.com", "username": "ada", "password": "correct-horse", "role": "operator"}


async def _user_id(client, headers, email):
    page = await (await client.get("/api/v1/users/", params={"page_size": 100, "_t": "1"}, headers=headers)).json()
    return next(u["public_id"] for u in page["data"] if u["email"] == email)


async def test_admin_creates_lists_and_the_user_can_log_in(make_client, auth_headers):
    client = await make_client("users", "auth")
    admin = await auth_headers(client, "admin")
    resp = await client.post("/api/v1/users/", json=NEW, headers=admin)
    assert resp.status == 201
    assert await resp.json() == {"status": "success", "message": "User successfully created."}
    page = await (await client.get("/api/v1/users", headers=admin)).json()
    assert list(page) == ["page", "page_size", "total", "data"]
    assert page["total"] == 2
    assert await login(client, NEW["email"], NEW["password"])


async def test_duplicate_email_or_username_is_409_and_nothing_is_stored(make_client, auth_headers):
    client = await make_client("users", "auth")
    admin = await auth_headers(client, "admin")
    await client.post("/api/v1/users", json=NEW, headers=admin)
    same_email = await client.post("/api/v1/users", json={**NEW, "username": "other"}, headers=admin)
    same_name = await client.post("/api/v1/users", json={**NEW, "email": "other@example.com"}, headers=admin)
    for resp in (same_email, same_name):
        assert resp.status == 409
        assert (await resp.json()) == {"detail": "User already exists."}
    page = await (await client.get("/api/v1/users", headers=admin)).json()
    assert page["total"] == 2


async def test_validation_errors_have_the_contract_shape(make_client, auth_headers):
    client = await make_client("users", "auth")
    admin = await auth_headers(client, "admin")
    resp = await client.post("/api/v1/users", json={**NEW, "username": "x"}, headers=admin)
    assert resp.status == 422
    err = (await resp.json())["detail"][0]
    assert err["type"] == "string_too_short" and err["loc"] == ["body", "username"]
    assert err["ctx"] == {"min_length": 2}
    too_long = await client.post("/api/v1/users", json={**NEW, "password": "p" * 73}, headers=admin)
    assert too_long.status == 422
    assert "72 bytes" in (await too_long.json())["detail"][0]["msg"]


async def test_viewers_cannot_list_or_create(make_client, auth_headers):
    client = await make_client("users", "auth")
    viewer = await auth_headers(client, "viewer")
    assert (await client.get("/api/v1/users", headers=viewer)).status == 403
    resp = await client.post("/api/v1/users", json=NEW, headers=viewer)
    assert resp.status == 403
    assert (await resp.json()) == {"detail": "Admin privileges required."}


async def test_users_read_themselves_but_not_others(make_client, auth_headers):
    client = await make_client("users", "auth")
    admin = await auth_headers(client, "admin")
    viewer = await auth_headers(client, "viewer")
    me = await (await client.get("/api/v1/auth/me", headers=viewer)).json()
    own = await client.get(f"/api/v1/users/{me['public_id']}", headers=viewer)
    assert own.status == 200
    admin_id = (await (await client.get("/api/v1/auth/me", headers=admin)).json())["public_id"]
    other = await client.get(f"/api/v1/users/{admin_id}", headers=viewer)
    assert other.status == 404
    assert (await client.get(f"/api/v1/users/{me['public_id']}", headers=admin)).status == 200


async def test_self_update_and_role_changes(make_client, auth_headers):
    client = await make_client("users", "auth")
    admin = await auth_headers(client, "admin")
    viewer = await auth_headers(client, "viewer")
    me = await (await client.get("/api/v1/auth/me", headers=viewer)).json()
    resp = await client.put(f"/api/v1/users/{me['public_id']}", json={"password": "a-new-password"}, headers=viewer)
    assert (await resp.json())["message"] == "User successfully updated."
    # The password change ended the viewer's earlier tokens (see the auth plugin's tests).
    viewer = {"Authorization": f"Bearer {await login(client, 'viewer@example.com', 'a-new-password')}"}
    promote = await client.put(f"/api/v1/users/{me['public_id']}", json={"role": "admin"}, headers=viewer)
    assert promote.status == 403
    assert (await promote.json())["detail"] == "Only admins can change user roles."
    admin_id = (await (await client.get("/api/v1/auth/me", headers=admin)).json())["public_id"]
    other = await client.put(f"/api/v1/users/{admin_id}", json={"username": "mallory"}, headers=viewer)
    assert (await other.json())["detail"] == "You can only update your own profile."
    ok = await client.put(f"/api/v1/users/{me['public_id']}", json={"role": "operator"}, headers=admin)
    assert ok.status == 200
    operator = {"Authorization": f"Bearer {await login(client, 'viewer@example.com', 'a-new-password')}"}
    assert (await (await client.get("/api/v1/auth/me", headers=operator)).json())["role"] == "operator"


async def test_last_admin_cannot_be_deleted_or_demoted(make_client, auth_headers):
    client = await make_client("users", "auth")
    admin = await auth_headers(client, "admin")
    admin_id = (await (await client.get("/api/v1/auth/me", headers=admin)).json())["public_id"]
    demote = await client.put(f"/api/v1/users/{admin_id}", json={"role": "viewer"}, headers=admin)
    assert demote.status == 409
    delete_self = await client.delete(f"/api/v1/users/{admin_id}", headers=admin)
    assert delete_self.status == 409
    await client.post("/api/v1/users", json={**NEW, "role": "admin"}, headers=admin)
    second = await login(client, NEW["email"], NEW["password"])
    resp = await client.delete(f"/api/v1/users/{admin_id}", headers={"Authorization": f"Bearer {second}"})
    assert (await resp.json())["message"] == "User successfully deleted."
    new_id = await _user_id(client, {"Authorization": f"Bearer {second}"}, NEW["email"])
    last = await client.delete(f"/api/v1/users/{new_id}", headers={"Authorization": f"Bearer {second}"})
    assert last.status == 409


async def test_deleted_user_token_stops_working(make_client, auth_headers):
    client = await make_client("users", "auth")
    admin = await auth_headers(client, "admin")
    viewer = await auth_headers(client, "viewer")
    viewer_id = await _user_id(client, admin, "viewer@example.com")
    assert (await client.delete(f"/api/v1/users/{viewer_id}", headers=admin)).status == 200
    resp = await client.get("/api/v1/auth/me", headers=viewer)
    assert resp.status == 401
    assert (await resp.json())["detail"] == "User not found."
    assert (await client.delete(f"/api/v1/users/{viewer_id}", headers=admin)).status == 404


async def test_first_start_without_password_prints_a_random_one(make_client, capsys):
    client = await make_client("users", "auth", env={"WEBMACS_INITIAL_ADMIN_PASSWORD": ""})
    out = capsys.readouterr().out
    assert "admin@example.com" in out
    password = out.split("password:")[1].split()[0]
    assert len(password) >= 12 and password != "admin123"
    assert await login(client, "admin@example.com", password)
    bad = await client.post("/api/v1/auth/login", json={"email": "admin@example.com", "password": "admin123"})
    assert bad.status == 401


async def test_emails_and_usernames_are_unique_regardless_of_case(make_client, auth_headers):
    client = await make_client("users", "auth")
    admin = await auth_headers(client, "admin")
    viewer = await auth_headers(client, "viewer")
    assert (await client.post("/api/v1/users", json=NEW, headers=admin)).status == 201
    for clash in ({"email": "ADA@example.com", "username": "other"}, {"email": "x@example.com", "username": "ADA"}):
        resp = await client.post("/api/v1/users", json={**NEW, **clash}, headers=admin)
        assert resp.status == 409 and await resp.json() == {"detail": "User already exists."}, clash
    me = await (await client.get("/api/v1/auth/me", headers=viewer)).json()
    for change in ({"email": "ADMIN@example.com"}, {"username": "Admin"}, {"email": "Admin@Example.COM"}):
        resp = await client.put(f"/api/v1/users/{me['public_id']}", json=change, headers=viewer)
        assert resp.status == 409 and await resp.json() == {"detail": "User already exists."}, change
    assert (await (await client.get("/api/v1/auth/me", headers=viewer)).json())["email"] == "viewer@example.com"
    # Changing only the case of one's own name is no clash.
    resp = await client.put(f"/api/v1/users/{me['public_id']}", json={"username": "Viewer"}, headers=viewer)
    assert resp.status == 200
    # The address is found whatever case it is typed in at login.
    assert await login(client, "Ada@Example.com", NEW["password"])


async def test_the_database_itself_refuses_case_only_duplicates(make_client):
    """The migration's unique indexes on lower(email) and lower(username), on SQLite and PostgreSQL."""
    import pytest
    import sqlalchemy as sa

    from webmacs_sdk.keys import DATABASE
    from webmacs_sdk.models import Role
    from webmacs_users import store

    client = await make_client("users", "auth")
    for email, username in (("ADMIN@example.com", "someone"), ("new@example.com", "ADMIN")):
        with pytest.raises(sa.exc.IntegrityError):
            async with client.app[DATABASE].transaction() as tx:
                await store.insert(tx.conn, email=email, username=username, password_hash="x", role=Role.VIEWER)


async def test_one_email_rule_for_creation_and_login(make_client, auth_headers):
    client = await make_client("users", "auth", env={"WEBMACS_INITIAL_ADMIN_EMAIL": "root@lab.test"})
    # The first admin on the reserved .test domain can sign in.
    seeded = await login(client, "root@lab.test", "admin-password-1")
    admin = {"Authorization": f"Bearer {seeded}"}
    lab = {**NEW, "email": "ada@pa.test"}
    assert (await client.post("/api/v1/users", json=lab, headers=admin)).status == 201
    assert await login(client, "ada@pa.test", NEW["password"])
    # Refused at creation exactly when login would refuse it, with the reason.
    for email in ("notanemail", "ada@printer.local", "ada@localhost"):
        created = await client.post("/api/v1/users", json={**NEW, "email": email}, headers=admin)
        signed_in = await client.post("/api/v1/auth/login", json={"email": email, "password": "x"})
        assert created.status == signed_in.status == 422, email
        assert "not a valid email address" in (await created.json())["detail"][0]["msg"]


async def test_a_seed_admin_email_login_would_refuse_stops_the_start(make_app):
    import pytest

    from webmacs_sdk.settings import SettingsError

    with pytest.raises(SettingsError, match="WEBMACS_INITIAL_ADMIN_EMAIL: 'notanemail' is not a valid email"):
        make_app("users", "auth", env={"WEBMACS_INITIAL_ADMIN_EMAIL": "notanemail"})


async def test_the_upgrade_refuses_to_guess_between_accounts_that_differ_only_in_case(make_app):
    """Accounts created before the case-insensitive indexes may clash: the upgrade names them and stops."""
    import pytest
    import sqlalchemy as sa
    from alembic import command

    from webmacs_core import migrate
    from webmacs_core.keys import PLUGIN_MANAGER
    from webmacs_sdk.errors import WebmacsError
    from webmacs_sdk.keys import DATABASE

    app = make_app("users")
    db, pm = app[DATABASE], app[PLUGIN_MANAGER]
    config = migrate.alembic_config(pm)

    def to_first_revision(sync_conn):
        config.attributes["connection"] = sync_conn
        command.downgrade(config, "base")
        command.upgrade(config, "users_0001")

    async with db.engine.begin() as conn:
        await conn.run_sync(to_first_revision)
        for index, (email, name) in enumerate((("ada@example.com", "ada"), ("ADA@example.com", "Ada"))):
            await conn.execute(sa.text(
                "INSERT INTO users (public_id, email, username, password_hash, role, registered_on) "
                "VALUES (:p, :e, :u, 'x', 'viewer', CURRENT_TIMESTAMP)"), {"p": f"id-{index}", "e": email, "u": name})
    clash = r"renamed before this upgrade: email 'ada@example.com' \(2 accounts\); username 'ada'"
    with pytest.raises(WebmacsError, match=clash):
        await migrate.upgrade(db, pm)
    async with db.engine.begin() as conn:
        await conn.execute(sa.text("UPDATE users SET username = 'ada2', email = 'ada2@example.com' "
                                   "WHERE public_id = 'id-1'"))
    await migrate.upgrade(db, pm)
    await db.engine.dispose()
