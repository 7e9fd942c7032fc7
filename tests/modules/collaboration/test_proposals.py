"""Proposals with amendments: versioned text, amendments accepted or rejected, readable diffs,
supports counted exactly (also under concurrency, on SQLite and PostgreSQL)."""

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from community.extensions import db
from community.models import HiddenContent, Member, Notification
from community.registry import registry
from community.settings import set_module_setting
from modules.collaboration import proposals_service as service
from modules.collaboration.models import (
    CollaborationAmendment,
    CollaborationGroup,
    CollaborationMembership,
    CollaborationProposal,
    CollaborationProposalVersion,
    CollaborationSupport,
)

TEXT = "Nous proposons une maison des associations.\n\nElle ouvre le soir.\n\nElle est gratuite."


pytestmark = pytest.mark.usefixtures("english")  # messages read outside a request: English


@pytest.fixture
def author(make_member):
    return make_member(handle="autrice")


@pytest.fixture
def make_proposal(app, author):
    def make(by=None, **fields):
        fields.setdefault("title", "Maison des associations")
        fields.setdefault("text", TEXT)
        return service.create_proposal(by or author, **fields)

    return make


def bulk_members(n: int, prefix: str = "soutien") -> list[int]:
    """Members inserted directly (no password hashing): for many-member tests."""
    rows = [{"handle": f"{prefix}{i}", "display_name": f"Soutien {i}", "email": f"{prefix}{i}@example.org",
             "password_hash": "x", "role": "member"} for i in range(n)]
    db.session.execute(Member.__table__.insert(), rows)
    db.session.commit()
    return list(db.session.scalars(select(Member.id).where(Member.handle.like(f"{prefix}%")).order_by(Member.id)))


def supports_of(proposal_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(CollaborationSupport).where(
        CollaborationSupport.proposal_id == proposal_id))


def messages(error) -> list[str]:
    return [str(m) for ms in error.value.errors.values() for m in ms]


# --- the diff ---------------------------------------------------------------------------------


def test_the_diff_marks_changed_words_only():
    result = service.diff("Le budget est voté en mars.", "Le budget participatif est voté en avril.")
    assert str(result.html) == "Le budget<ins> participatif</ins> est voté en <del>mars</del><ins>avril</ins>."
    assert (result.added, result.removed) == (2, 1)


def test_the_diff_escapes_html_in_both_texts():
    result = service.diff("<b>a</b> & co", "<b>b</b> & co")
    assert "<b>" not in str(result.html)
    assert str(result.html) == "&lt;b&gt;<del>a</del><ins>b</ins>&lt;/b&gt; &amp; co"


def test_the_diff_of_added_and_removed_lines():
    result = service.diff("un\ndeux\ntrois\n", "un\ntrois\nquatre\n")
    assert str(result.html) == "un\n<del>deux\n</del>trois\n<ins>quatre\n</ins>"
    assert (result.added, result.removed) == (1, 1)


def test_identical_texts_have_no_change_and_line_endings_do_not_count():
    assert service.diff("a\r\nb", "a\nb").unchanged
    assert service.diff("", "").html == ""


def test_a_huge_changed_block_falls_back_to_removed_then_added(monkeypatch):
    monkeypatch.setattr(service, "WORD_DIFF_LIMIT", 10)
    result = service.diff("un deux trois quatre", "cinq six sept huit")
    assert str(result.html) == "<del>un deux trois quatre</del><ins>cinq six sept huit</ins>"
    assert (result.added, result.removed) == (4, 4)


# --- proposals and versions -------------------------------------------------------------------


def test_a_proposal_starts_at_version_one(make_proposal, author):
    proposal = make_proposal(text="  Texte\r\nsur deux lignes  ")
    assert proposal.current_version == 1 and proposal.status == "open" and proposal.support_count == 0
    assert [(v.number, v.text, v.author_id) for v in service.versions(proposal)] == [
        (1, "Texte\nsur deux lignes", author.id)]


def test_an_empty_title_and_text_are_refused(app, author):
    with pytest.raises(service.ProposalError) as error:
        service.create_proposal(author, title=" ", text="\n")
    assert set(error.value.errors) == {"title", "text"}
    assert db.session.scalar(select(func.count()).select_from(CollaborationProposal)) == 0


def test_version_numbers_are_unique_per_proposal_in_the_schema(make_proposal):
    proposal = make_proposal()
    db.session.add(CollaborationProposalVersion(proposal_id=proposal.id, number=1, text="doublon"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


# --- amendments -------------------------------------------------------------------------------


def test_accepting_an_amendment_makes_the_next_version(make_proposal, make_member, author):
    proposal = make_proposal()
    amender = make_member()
    amendment = service.propose_amendment(amender, proposal, text=TEXT.replace("le soir", "le samedi"),
                                          rationale="Plus accessible.")
    assert amendment.base_version == 1 and amendment.status == "pending"
    made = service.decide_amendment(author, amendment, proposal, accept=True)
    assert made.number == 2 and made.author_id == amender.id and made.amendment_id == amendment.id
    db.session.refresh(proposal)
    assert proposal.current_version == 2 and service.current_text(proposal) == TEXT.replace("le soir", "le samedi")
    db.session.refresh(amendment)
    assert amendment.status == "accepted" and amendment.decided_by_id == author.id
    assert db.session.scalar(select(Notification.member_id).where(
        Notification.kind == "collaboration.amendment_decided")) == amender.id


def test_rejecting_keeps_the_text(make_proposal, make_member, author):
    proposal = make_proposal()
    amendment = service.propose_amendment(make_member(), proposal, text=TEXT + "\n\nAjout.")
    assert service.decide_amendment(author, amendment, proposal, accept=False) is None
    db.session.refresh(proposal)
    db.session.refresh(amendment)
    assert proposal.current_version == 1 and amendment.status == "rejected"
    with pytest.raises(service.ProposalError) as error:
        service.decide_amendment(author, amendment, proposal, accept=True)
    assert messages(error) == ["This amendment was already decided."]


def test_other_pending_amendments_need_an_update_after_an_acceptance(make_proposal, make_member, author):
    proposal = make_proposal()
    ana, ben = make_member(), make_member()
    first = service.propose_amendment(ana, proposal, text=TEXT.replace("gratuite", "gratuite pour tous"))
    second = service.propose_amendment(ben, proposal, text=TEXT + "\n\nUn bilan chaque année.")
    service.decide_amendment(author, first, proposal, accept=True)
    db.session.refresh(proposal)
    db.session.refresh(second)
    assert second.status == "pending" and service.needs_update(second, proposal)
    with pytest.raises(service.ProposalError) as error:
        service.decide_amendment(author, second, proposal, accept=True)
    assert "must update it" in messages(error)[0]
    assert proposal.current_version == 2
    # Its author updates it against version 2; then it can be accepted as version 3.
    rebased = service.current_text(proposal) + "\n\nUn bilan chaque année."
    service.update_amendment(ben, second, proposal, text=rebased, base_version=2)
    db.session.refresh(second)
    assert second.base_version == 2 and not service.needs_update(second, proposal)
    assert service.decide_amendment(author, second, proposal, accept=True).number == 3
    assert [v.number for v in service.versions(proposal)] == [1, 2, 3]


def test_an_outdated_amendment_can_still_be_rejected(make_proposal, make_member, author):
    proposal = make_proposal()
    first = service.propose_amendment(make_member(), proposal, text=TEXT + "\n\nA.")
    second = service.propose_amendment(make_member(), proposal, text=TEXT + "\n\nB.")
    service.decide_amendment(author, first, proposal, accept=True)
    service.decide_amendment(author, second, proposal, accept=False)
    db.session.refresh(second)
    assert second.status == "rejected"


def test_an_amendment_from_an_old_form_is_refused(make_proposal, make_member, author):
    proposal = make_proposal()
    first = service.propose_amendment(make_member(), proposal, text=TEXT + "\n\nA.")
    service.decide_amendment(author, first, proposal, accept=True)
    with pytest.raises(service.ProposalError) as error:
        service.propose_amendment(make_member(), proposal, text=TEXT + "\n\nB.", base_version=1)
    assert "now at version 2" in messages(error)[0]


@pytest.mark.parametrize("text, expected", [
    (TEXT, "Your amendment changes nothing in the text."),
    ("  ", "Write the text first."),
])
def test_an_empty_or_unchanged_amendment_is_refused(make_proposal, make_member, text, expected):
    proposal = make_proposal()
    with pytest.raises(service.ProposalError) as error:
        service.propose_amendment(make_member(), proposal, text=text)
    assert messages(error) == [expected]
    assert db.session.scalar(select(func.count()).select_from(CollaborationAmendment)) == 0


def test_an_amendment_to_a_closed_proposal_is_refused(make_proposal, make_member, author):
    proposal = make_proposal()
    pending = service.propose_amendment(make_member(), proposal, text=TEXT + "\n\nA.")
    service.close_proposal(author, proposal)
    with pytest.raises(service.ProposalError) as error:
        service.propose_amendment(make_member(), proposal, text=TEXT + "\n\nB.")
    assert messages(error) == ["This proposal is closed: it accepts no more amendments."]
    with pytest.raises(service.ProposalError):
        service.decide_amendment(author, pending, proposal, accept=True)
    assert db.session.scalar(select(func.count()).select_from(CollaborationAmendment)) == 1
    service.reopen_proposal(author, proposal)
    assert service.decide_amendment(author, pending, proposal, accept=True).number == 2


def test_who_decides(make_proposal, make_member, author):
    organiser, member, animator = make_member(role="organiser"), make_member(), make_member()
    proposal = make_proposal()
    assert service.can_decide(author, proposal) and service.can_decide(organiser, proposal)
    assert not service.can_decide(member, proposal)
    amendment = service.propose_amendment(member, proposal, text=TEXT + "\n\nA.")
    with pytest.raises(service.ProposalError):
        service.decide_amendment(member, amendment, proposal, accept=True)
    group = CollaborationGroup(slug="climat", name="Climat")
    db.session.add(group)
    db.session.flush()
    db.session.add_all([CollaborationMembership(group_id=group.id, member_id=animator.id, role="animator"),
                        CollaborationMembership(group_id=group.id, member_id=member.id),
                        CollaborationMembership(group_id=group.id, member_id=organiser.id)])
    db.session.commit()
    local = service.create_proposal(member, title="Local", text="Texte", group_id=group.id)
    assert service.can_decide(animator, local) and service.can_decide(member, local)
    assert not service.can_decide(organiser, local)  # a group's proposal is for its animators


# --- supports ---------------------------------------------------------------------------------


def test_a_member_supports_once(make_proposal, make_member, author):
    proposal = make_proposal()
    member = make_member()
    service.support(member, proposal)
    with pytest.raises(service.ProposalError) as error:
        service.support(member, proposal)
    assert messages(error) == ["You already support this proposal."]
    db.session.refresh(proposal)
    assert proposal.support_count == 1 == supports_of(proposal.id)
    service.withdraw_support(member, proposal)
    db.session.refresh(proposal)
    assert proposal.support_count == 0 == supports_of(proposal.id)
    with pytest.raises(service.ProposalError):
        service.withdraw_support(member, proposal)


def test_supporting_ones_own_proposal_follows_the_setting(make_proposal, author):
    proposal = make_proposal()
    with pytest.raises(service.ProposalError) as error:
        service.support(author, proposal)
    assert messages(error) == ["You cannot support your own proposal."]
    assert registry.get("collaboration").settings["allow_self_support"] is False
    service.support(author, proposal, allow_self=True)
    db.session.refresh(proposal)
    assert proposal.support_count == 1


def test_a_closed_proposal_collects_no_support(make_proposal, make_member, author):
    proposal = make_proposal()
    service.close_proposal(author, proposal)
    with pytest.raises(service.ProposalError):
        service.support(make_member(), proposal)
    db.session.refresh(proposal)
    assert proposal.support_count == 0 == supports_of(proposal.id)


def _support_all_at_once(app, proposal_id: int, member_ids: list[int]) -> list[str]:
    barrier = threading.Barrier(len(member_ids))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(member_id: int):
        with app.app_context():  # each thread: its own context, session and connection
            member = db.session.get(Member, member_id)
            proposal = db.session.get(CollaborationProposal, proposal_id)
            db.session.rollback()  # start the write transaction together, after the barrier
            barrier.wait()
            try:
                service.support(member, proposal)
                result = "ok"
            except service.ProposalError:
                result = "refused"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=run, args=(m,)) for m in member_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


# Twenty threads at once, each may hold two connections (its own, and the after-commit work's).
@pytest.mark.parametrize("config_overrides", [
    {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "pool_size": 45, "max_overflow": 5}}])
def test_concurrent_supports_give_an_exact_count(app, make_proposal):
    proposal = make_proposal()
    members = bulk_members(20)
    assert sorted(_support_all_at_once(app, proposal.id, members)) == ["ok"] * 20
    db.session.commit()  # a fresh snapshot for the test's own session
    db.session.refresh(proposal)
    assert proposal.support_count == supports_of(proposal.id) == 20
    # The same members again, all at once: each is refused by the primary key, the count stays.
    assert sorted(_support_all_at_once(app, proposal.id, members)) == ["refused"] * 20
    db.session.commit()
    db.session.refresh(proposal)
    assert proposal.support_count == supports_of(proposal.id) == 20


# --- pages ------------------------------------------------------------------------------------


def test_list_and_new_pages(client, login, make_proposal, make_member):
    proposal = make_proposal()
    login(client, make_member())
    page = client.get("/collaboration/proposals/")
    assert page.status_code == 200 and b"Maison des associations" in page.data
    assert b"Maison des associations" not in client.get("/collaboration/proposals/?status=closed").data
    assert b"Maison des associations" in client.get("/collaboration/proposals/?status=all").data
    assert client.get("/collaboration/proposals/new").status_code == 200
    assert client.get(f"/collaboration/proposals/{proposal.id}").status_code == 200


def test_making_a_proposal_through_the_form(client, login, make_member):
    login(client, make_member())
    response = client.post("/collaboration/proposals/new", data={"title": "Plan vélo", "text": "Des pistes.",
                                                                  "group": ""})
    assert response.status_code == 302
    proposal = db.session.scalar(select(CollaborationProposal))
    assert proposal.title == "Plan vélo" and service.current_text(proposal) == "Des pistes."


def test_an_empty_proposal_keeps_the_values_and_creates_nothing(client, login, make_member):
    login(client, make_member())
    response = client.post("/collaboration/proposals/new", data={"title": "Plan vélo", "text": " ", "group": ""})
    assert response.status_code == 422 and b"Write the text first." in response.data
    assert "Plan vélo".encode() in response.data
    assert db.session.scalar(select(func.count()).select_from(CollaborationProposal)) == 0


def test_supporting_through_the_page(client, login, make_proposal, make_member):
    proposal = make_proposal()
    login(client, make_member())
    assert b"Support this proposal" in client.get(f"/collaboration/proposals/{proposal.id}").data
    assert client.post(f"/collaboration/proposals/{proposal.id}/support").status_code == 302
    twice = client.post(f"/collaboration/proposals/{proposal.id}/support")
    assert twice.status_code == 422 and b"You already support this proposal." in twice.data
    db.session.refresh(proposal)
    assert proposal.support_count == 1
    assert client.post(f"/collaboration/proposals/{proposal.id}/unsupport").status_code == 302
    again = client.post(f"/collaboration/proposals/{proposal.id}/unsupport")
    assert again.status_code == 422 and b"You do not support this proposal." in again.data


def test_supporting_ones_own_proposal_gets_a_message_unless_allowed(client, login, make_proposal, author):
    proposal = make_proposal()
    login(client, author)
    page = client.get(f"/collaboration/proposals/{proposal.id}")
    assert b"Support this proposal" not in page.data and b"This is your proposal" in page.data
    response = client.post(f"/collaboration/proposals/{proposal.id}/support")
    assert response.status_code == 422 and b"You cannot support your own proposal." in response.data
    set_module_setting("collaboration", "allow_self_support", True)
    db.session.commit()
    assert client.post(f"/collaboration/proposals/{proposal.id}/support").status_code == 302
    db.session.refresh(proposal)
    assert proposal.support_count == 1


def test_amending_through_the_form(client, login, make_proposal, make_member):
    proposal = make_proposal()
    login(client, make_member())
    form = client.get(f"/collaboration/proposals/{proposal.id}/amend")
    assert form.status_code == 200 and b"Elle ouvre le soir." in form.data and b'name="base_version"' in form.data
    response = client.post(f"/collaboration/proposals/{proposal.id}/amend", data={
        "text": TEXT.replace("soir", "samedi"), "rationale": "Accessible.", "base_version": "1"})
    assert response.status_code == 302
    amendment = db.session.scalar(select(CollaborationAmendment))
    assert response.headers["Location"].endswith(f"/amendments/{amendment.id}")
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and b"<del>soir</del><ins>samedi</ins>" in page.data


def test_an_unchanged_amendment_keeps_the_values(client, login, make_proposal, make_member):
    proposal = make_proposal()
    login(client, make_member())
    response = client.post(f"/collaboration/proposals/{proposal.id}/amend", data={
        "text": TEXT, "rationale": "Ma raison", "base_version": "1"})
    assert response.status_code == 422 and b"Your amendment changes nothing in the text." in response.data
    assert b"Ma raison" in response.data


def test_an_amendment_to_a_closed_proposal_gets_a_clear_message(client, login, make_proposal, make_member, author):
    proposal = make_proposal()
    service.close_proposal(author, proposal)
    login(client, make_member())
    assert b"it accepts no more amendments" in client.get(f"/collaboration/proposals/{proposal.id}/amend").data
    response = client.post(f"/collaboration/proposals/{proposal.id}/amend", data={
        "text": TEXT + " Ajout", "rationale": "", "base_version": "1"})
    assert response.status_code == 422
    assert b"This proposal is closed: it accepts no more amendments." in response.data
    assert db.session.scalar(select(func.count()).select_from(CollaborationAmendment)) == 0


def test_deciding_through_the_page(app, client, login, make_proposal, make_member, author):
    proposal = make_proposal()
    amender = make_member()
    first = service.propose_amendment(amender, proposal, text=TEXT + "\n\nA.")
    second = service.propose_amendment(amender, proposal, text=TEXT + "\n\nB.")
    other = login(app.test_client(), make_member())
    assert other.post(f"/collaboration/proposals/{proposal.id}/amendments/{first.id}/decide",
                      data={"action": "accept"}).status_code == 403
    login(client, author)
    page = client.get(f"/collaboration/proposals/{proposal.id}")
    assert page.status_code == 200 and b"Amendments awaiting a decision" in page.data and b"<ins>" in page.data
    assert client.post(f"/collaboration/proposals/{proposal.id}/amendments/{first.id}/decide",
                       data={"action": "accept"}).status_code == 302
    refused = client.post(f"/collaboration/proposals/{proposal.id}/amendments/{second.id}/decide",
                          data={"action": "accept"})
    assert refused.status_code == 422 and b"its author must update it" in refused.data
    assert b"Needs an update" in client.get(f"/collaboration/proposals/{proposal.id}").data
    assert client.post(f"/collaboration/proposals/{proposal.id}/amendments/{second.id}/decide",
                       data={"action": "reject"}).status_code == 302
    assert client.post(f"/collaboration/proposals/{proposal.id}/amendments/{second.id}/decide",
                       data={"action": "maybe"}).status_code == 400


def test_updating_an_outdated_amendment_through_its_page(client, login, make_proposal, make_member, author):
    proposal = make_proposal()
    amender = make_member()
    first = service.propose_amendment(make_member(), proposal, text=TEXT + "\n\nA.")
    second = service.propose_amendment(amender, proposal, text=TEXT + "\n\nB.")
    service.decide_amendment(author, first, proposal, accept=True)
    login(client, amender)
    page = client.get(f"/collaboration/proposals/{proposal.id}/amendments/{second.id}")
    assert b"What changed in the proposal since version 1" in page.data and b"Update my amendment" in page.data
    response = client.post(f"/collaboration/proposals/{proposal.id}/amendments/{second.id}/update",
                           data={"text": TEXT + "\n\nA.\n\nB.", "rationale": "Rebasé", "base_version": "2"})
    assert response.status_code == 302
    db.session.refresh(second)
    assert second.base_version == 2 and second.rationale == "Rebasé"


def test_versions_and_diff_pages(client, login, make_proposal, make_member, author):
    proposal = make_proposal()
    amendment = service.propose_amendment(make_member(), proposal, text=TEXT.replace("gratuite", "<i>libre</i>"))
    service.decide_amendment(author, amendment, proposal, accept=True)
    login(client, make_member())
    assert client.get(f"/collaboration/proposals/{proposal.id}/versions/1").status_code == 200
    assert client.get(f"/collaboration/proposals/{proposal.id}/versions/3").status_code == 404
    diff = client.get(f"/collaboration/proposals/{proposal.id}/diff?from=1&to=2")
    assert diff.status_code == 200 and b"<del>gratuite</del><ins>&lt;i&gt;libre&lt;/i&gt;</ins>" in diff.data
    assert client.get(f"/collaboration/proposals/{proposal.id}/diff").status_code == 200
    assert client.get(f"/collaboration/proposals/{proposal.id}/diff?from=1&to=9").status_code == 404


def test_closing_and_reopening_through_the_page(app, client, login, make_proposal, make_member, author):
    proposal = make_proposal()
    other = login(app.test_client(), make_member())
    assert other.post(f"/collaboration/proposals/{proposal.id}/close").status_code == 403
    login(client, author)
    assert client.post(f"/collaboration/proposals/{proposal.id}/close").status_code == 302
    twice = client.post(f"/collaboration/proposals/{proposal.id}/close")
    assert twice.status_code == 422 and b"already closed" in twice.data
    assert client.post(f"/collaboration/proposals/{proposal.id}/reopen").status_code == 302
    db.session.refresh(proposal)
    assert proposal.status == "open"


def test_a_groups_proposal_is_hidden_from_outsiders(client, login, make_member):
    member, outsider = make_member(), make_member()
    group = CollaborationGroup(slug="quartier", name="Quartier")
    db.session.add(group)
    db.session.flush()
    db.session.add(CollaborationMembership(group_id=group.id, member_id=member.id))
    db.session.commit()
    proposal = service.create_proposal(member, title="Entre voisins", text="Texte", group_id=group.id)
    login(client, outsider)
    assert client.get(f"/collaboration/proposals/{proposal.id}").status_code == 404
    assert client.post(f"/collaboration/proposals/{proposal.id}/support").status_code == 404
    assert client.get(f"/collaboration/proposals/{proposal.id}/diff").status_code == 404
    assert b"Entre voisins" not in client.get("/collaboration/proposals/").data
    assert client.get(f"/moderation/report?type=collaboration.proposal&id={proposal.id}").status_code == 404
    # An outsider cannot make a proposal in someone else's group either.
    response = client.post("/collaboration/proposals/new", data={"title": "T", "text": "X", "group": str(group.id)})
    assert response.status_code == 422 and b"Choose where the proposal is made." in response.data


def test_hidden_proposals_and_amendments_do_not_show(client, login, make_proposal, make_member):
    proposal, other = make_proposal(), make_proposal(title="Proposition masquée")
    amendment = service.propose_amendment(make_member(), proposal, text=TEXT + "\n\nAmendement masqué")
    db.session.add_all([HiddenContent(content_type="collaboration.proposal", content_id=str(other.id)),
                        HiddenContent(content_type="collaboration.amendment", content_id=str(amendment.id))])
    db.session.commit()
    login(client, make_member())
    assert client.get(f"/collaboration/proposals/{other.id}").status_code == 404
    assert "Proposition masquée".encode() not in client.get("/collaboration/proposals/?status=all").data
    assert b"Amendement masqu" not in client.get(f"/collaboration/proposals/{proposal.id}").data
    assert client.get(f"/collaboration/proposals/{proposal.id}/amendments/{amendment.id}").status_code == 404


def test_proposal_activities_render_in_notifications(client, login, make_proposal, make_member, author):
    proposal = make_proposal()
    service.propose_amendment(make_member(), proposal, text=TEXT + "\n\nA.")
    service.support(make_member(), proposal)
    login(client, author)
    page = client.get("/notifications")
    assert page.status_code == 200
    assert "proposed an amendment to “Maison des associations”".encode() in page.data
    assert "supports the proposal “Maison des associations”".encode() in page.data


def test_export_lists_proposals_amendments_and_supports(make_proposal, make_member, author):
    proposal = make_proposal()
    member = make_member()
    service.propose_amendment(member, proposal, text=TEXT + "\n\nA.", rationale="Pourquoi pas")
    service.support(member, proposal)
    data = service.export_data(member)
    assert data["amendments"][0]["rationale"] == "Pourquoi pas" and data["supports"][0]["proposal_id"] == proposal.id
    own = service.export_data(author)
    assert own["proposals"][0]["title"] == "Maison des associations" and own["versions_written"][0]["number"] == 1
    assert registry.get("collaboration").export_data(member)["proposals"] == data


def test_demo_data_is_consistent(app):
    from community.demo import seed
    from modules.collaboration.models import CollaborationContribution, CollaborationDebate

    seed(members=40, seed=3)
    for proposal in db.session.scalars(select(CollaborationProposal)):
        assert proposal.support_count == supports_of(proposal.id)
        assert [v.number for v in service.versions(proposal)] == list(range(1, proposal.current_version + 1))
    for debate in db.session.scalars(select(CollaborationDebate)):
        stances = db.session.execute(select(CollaborationContribution.stance, func.count()).where(
            CollaborationContribution.debate_id == debate.id, CollaborationContribution.reply_to_id.is_(None))
            .group_by(CollaborationContribution.stance)).all()
        assert dict(stances) == {k: v for k, v in (("for", debate.count_for), ("against", debate.count_against),
                                                   ("neutral", debate.count_neutral)) if v}
    assert db.session.scalar(select(func.count()).select_from(CollaborationDebate)) >= 4
    assert db.session.scalar(select(func.count()).select_from(CollaborationAmendment)) >= 3


def test_admins_switch_self_support_on_the_list_page(app, client, login, make_member):
    member = login(app.test_client(), make_member())
    assert member.post("/collaboration/proposals/settings", data={"allow_self_support": "1"}).status_code == 403
    login(client, make_member(role="admin"))
    assert b'name="allow_self_support"' in client.get("/collaboration/proposals/").data
    assert client.post("/collaboration/proposals/settings", data={"allow_self_support": "1"}).status_code == 302
    db.session.commit()
    from community.settings import module_setting

    assert module_setting("collaboration", "allow_self_support") is True


def test_the_proposal_pages_render_in_french(app, make_proposal, make_member, author):
    from tests.conftest import PASSWORD

    proposal = make_proposal()
    first = service.propose_amendment(make_member(), proposal, text=TEXT + "\n\nA.")
    second = service.propose_amendment(make_member(), proposal, text=TEXT + "\n\nB.")
    service.decide_amendment(author, first, proposal, accept=True)
    service.support(make_member(), proposal)
    client = app.test_client()
    client.post("/auth/login", data={"identifier": author.handle, "password": PASSWORD})
    base = f"/collaboration/proposals/{proposal.id}"
    for path in ("/collaboration/proposals/", "/collaboration/proposals/new", base, f"{base}/amend",
                 f"{base}/amendments/{first.id}", f"{base}/amendments/{second.id}", f"{base}/diff?from=1&to=2",
                 f"{base}/versions/2", "/notifications"):
        response = client.get(path)
        assert response.status_code == 200, path
    refused = client.post(f"{base}/support")
    assert refused.status_code == 422 and b'lang="fr"' in refused.data


def test_the_proposal_page_reads_only(client, login, make_proposal, make_member, author):
    from community.database import QueryCounter

    proposal = make_proposal()
    for letter in "ABC":
        service.propose_amendment(make_member(), proposal, text=TEXT + f"\n\n{letter}.")
    login(client, make_member())
    with QueryCounter(db.engine) as counter:
        for path in (f"/collaboration/proposals/{proposal.id}", "/collaboration/proposals/",
                     f"/collaboration/proposals/{proposal.id}/diff"):
            assert client.get(path).status_code == 200
    assert not [s for s in counter.statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
