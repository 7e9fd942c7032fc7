from modules.influence import ranking


def test_show(app, client, make_member, login, make_post):
    ranking.clear_cache()
    org = make_member(role="organiser", handle="org")
    post = make_post(org, "Hello **world**", audience="members")
    login(client, org)
    client.post("/influence/announcements/new", data={"title": "Réunion", "body": "**Gras**", "scope": "all", "expires_on": "2099-01-01"})
    client.post("/influence/highlights/new", data={"post": str(post.id), "ends_at": "2099-01-01T10:00", "note": "Bravo"})
    page = client.get("/influence/").get_data(as_text=True)
    print(page[page.index("<main"):page.index('class="composer"')])
    page = client.post("/influence/announcements/new", data={"title": "", "scope": "area", "area": "zz"}).get_data(as_text=True)
    print(page[page.index("<main"):page.index("</main>")])
    page = client.get("/influence/highlights").get_data(as_text=True)
    print(page[page.index("<main"):page.index("</main>")])
    page = client.get("/influence/highlights/new").get_data(as_text=True)
    print(page[page.index("<form method=\"post\" action=\"/influence/high"):page.index("</main>")])
    page = client.get("/influence/announcements").get_data(as_text=True)
    print(page[page.index("<table"):page.index("</table>")])
    page = client.get("/notifications").get_data(as_text=True)
