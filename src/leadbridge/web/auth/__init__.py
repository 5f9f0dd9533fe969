"""Dashboard login, sessions, roles and CSRF protection.

Page routers: `APIRouter(dependencies=[Depends(require_role("operator"))])`; templates:
`install_template_helpers(templates)` once, then `{{ csrf_field() }}` in every post form and
`{{ value | phone }}` / `{{ value | person }}` for personal data.
"""

from leadbridge.security.roles import (
    ADMIN,
    FINANCE,
    OPERATOR,
    mask_name,
    mask_phone,
    sees_personal_data,
)
from leadbridge.web.auth.csrf import HEADER as CSRF_HEADER
from leadbridge.web.auth.guard import CurrentUser, current_user, require_login, require_role
from leadbridge.web.auth.templating import install_template_helpers

__all__ = [
    "ADMIN",
    "CSRF_HEADER",
    "FINANCE",
    "OPERATOR",
    "CurrentUser",
    "current_user",
    "install_template_helpers",
    "mask_name",
    "mask_phone",
    "require_login",
    "require_role",
    "sees_personal_data",
]
