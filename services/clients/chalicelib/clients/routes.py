"""The clients service's route table: written by `lanka routes` (make routes) from the
route modules; tests/contracts/test_route_tables.py fails when it is stale. Each route is
declared to Chalice from here and its module imported by its first request."""

ROUTES: tuple[tuple[str, str, str, bool, str], ...] = (
    ("GET", "/audit", "read_audit", False, "chalicelib.clients.api.cards"),
    ("GET", "/clients", "list_clients", False, "chalicelib.clients.api.cards"),
    ("POST", "/clients", "create_client", False, "chalicelib.clients.api.cards"),
    ("GET", "/clients/duplicates", "find_duplicates", False, "chalicelib.clients.api.cards"),
    ("POST", "/clients/resolve", "resolve_client", False, "chalicelib.clients.api.cards"),
    ("GET", "/clients/search", "search_clients", False, "chalicelib.clients.api.cards"),
    ("GET", "/clients/{client_id}", "get_client", False, "chalicelib.clients.api.cards"),
    ("PATCH", "/clients/{client_id}", "update_client", False, "chalicelib.clients.api.cards"),
    ("PUT", "/clients/{client_id}/consent", "set_consent", False, "chalicelib.clients.api.cards"),
    ("POST", "/clients/{client_id}/erase", "erase_client", False, "chalicelib.clients.api.cards"),
    ("POST", "/clients/{client_id}/merge", "merge_clients", False, "chalicelib.clients.api.cards"),
    ("POST", "/clients/{client_id}/notes", "add_note", False, "chalicelib.clients.api.cards"),
    ("PUT", "/clients/{client_id}/owner", "reassign_client", False, "chalicelib.clients.api.cards"),
    ("GET", "/clients/{client_id}/personal-data", "export_personal_data", False, "chalicelib.clients.api.cards"),
    ("GET", "/clients/{client_id}/timeline", "get_timeline", False, "chalicelib.clients.api.cards"),
    ("GET", "/clients/{client_id}/unsubscribe-link", "unsubscribe_link", False, "chalicelib.clients.api.cards"),
    ("GET", "/clients/{client_id}/visit-card", "get_visit_card", False, "chalicelib.clients.api.cards"),
    ("GET", "/custom-fields", "get_custom_fields", False, "chalicelib.clients.api.cards"),
    ("PUT", "/custom-fields", "save_custom_fields", False, "chalicelib.clients.api.cards"),
    ("GET", "/public/unsubscribe", "unsubscribe_page", True, "chalicelib.clients.api.cards"),
    ("POST", "/public/unsubscribe", "unsubscribe", True, "chalicelib.clients.api.cards"),
    ("POST", "/auth/change-password", "change_password", True, "chalicelib.clients.api.signin"),
    ("POST", "/auth/login", "sign_in", True, "chalicelib.clients.api.signin"),
    ("GET", "/staff", "list_staff", False, "chalicelib.clients.api.staff"),
    ("POST", "/staff", "add_staff", False, "chalicelib.clients.api.staff"),
    ("POST", "/staff/{username}/deactivate", "deactivate", False, "chalicelib.clients.api.staff"),
    ("PUT", "/staff/{username}/roles", "change_roles", False, "chalicelib.clients.api.staff"),
    ("POST", "/exports", "request_export", False, "chalicelib.clients.api.transfer"),
    ("GET", "/exports/{export_id}", "get_export", False, "chalicelib.clients.api.transfer"),
    ("POST", "/imports", "create_import", False, "chalicelib.clients.api.transfer"),
    ("GET", "/imports/{import_id}", "get_import", False, "chalicelib.clients.api.transfer"),
    ("GET", "/imports/{import_id}/errors", "get_import_errors", False, "chalicelib.clients.api.transfer"),
    ("POST", "/imports/{import_id}/preview", "preview_import", False, "chalicelib.clients.api.transfer"),
    ("POST", "/imports/{import_id}/start", "start_import", False, "chalicelib.clients.api.transfer"),
)
SCHEDULES: tuple[tuple[str, int, str, str], ...] = (
)
