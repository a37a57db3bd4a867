"""schemathesis hooks of `cargo xtask fuzz` (schemathesis 4.32.5), loaded through SCHEMATHESIS_HOOKS.

The run signs in once as the demo admin (id in AGLIS_FUZZ_ADMIN_ID) and uses that token for every
request. Three operations end the sessions of, or demote, the account they name:

- POST /api/v1/users/{id}/password   sets a new password and signs the account out everywhere
- POST /api/v1/users/{id}/deactivate deactivates the account and signs it out everywhere
- PATCH /api/v1/users/{id}           with `is_active` or `role`, deactivates or demotes it

The fuzzer reaches the run's own admin easily: the coverage phase tries small ids, the stateful
phase takes ids from GET /api/v1/me and the user list. For those requests only, `before_call` (which
every phase goes through, just before sending) replaces the id with one no account has, so the
server answers 404; the rest of the request is sent unchanged and checked as usual. The same
operations on every other account are fuzzed normally.
"""

import os

import schemathesis

ADMIN_ID = int(os.environ["AGLIS_FUZZ_ADMIN_ID"])

# An id no account has (and a valid int64, so the request is still schema-valid).
NO_SUCH_USER = 9_000_000_000_000_000

GUARDED = {
    ("POST", "/api/v1/users/{id}/password"),
    ("POST", "/api/v1/users/{id}/deactivate"),
    ("PATCH", "/api/v1/users/{id}"),
}


def names_the_admin(value) -> bool:
    """Whether a generated `id` path value would reach the admin (the server parses it as an i64)."""
    try:
        return int(str(value)) == ADMIN_ID
    except ValueError:
        return False


def dangerous(method: str, path: str, path_parameters, body) -> bool:
    if (method.upper(), path) not in GUARDED:
        return False
    if not names_the_admin((path_parameters or {}).get("id")):
        return False
    if method.upper() == "PATCH":
        # Editing one's own name, e-mail or phone is harmless; only these two fields demote or deactivate.
        return isinstance(body, dict) and ("is_active" in body or "role" in body)
    return True


@schemathesis.hook
def before_call(context, case, kwargs):
    if dangerous(case.method, case.operation.path, case.path_parameters, case.body):
        case.path_parameters["id"] = NO_SUCH_USER
