import pytest

from modules.influence import service


@pytest.fixture
def make_post(app):
    """make_post(author, body, **kw) -> a published post (inside a request context for links)."""

    def make(author, body="Un message #climat", **kwargs):
        with app.test_request_context():
            return service.create_post(author, body, **kwargs)

    return make
