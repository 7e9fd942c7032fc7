def test_home_for_anonymous_visitor(client):
    assert client.get("/").status_code == 200


def test_login_and_home(client, make_member, login):
    member = make_member()
    login(client, member)
    page = client.get("/")
    assert page.status_code == 200
    assert member.display_name in page.get_data(as_text=True)
