"""Pages of the influence module."""

from flask_login import login_required

from community.modules_common import module_index


@login_required
def index():
    return module_index("influence")
