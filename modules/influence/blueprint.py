"""URL rules of the influence module."""

from community.ratelimits import limited
from community.registry import module_blueprint

from . import cards, points, views, views_extra, views_points

bp = module_blueprint("influence", __name__)
bp.add_app_template_global(cards.post_card, "influence_post_card")  # cached post cards (cards.py)
bp.add_app_template_global(cards.feed_item, "influence_feed_item")
bp.add_app_template_global(cards.feed_items, "influence_feed_items")
bp.add_app_template_global(cards.composer, "influence_composer")
bp.add_url_rule("/", view_func=views.index, endpoint="index")
bp.add_url_rule("/feed/since", view_func=views.feed_since, endpoint="feed_since")
bp.add_url_rule("/all", view_func=views.movement, endpoint="movement")
bp.add_url_rule("/posts", view_func=limited("TERREAU_LIMIT_POST", views.create), endpoint="create", methods=["POST"])
bp.add_url_rule("/posts/<int:post_id>", view_func=views.post, endpoint="post")
bp.add_url_rule("/posts/<int:post_id>/reply", view_func=limited("TERREAU_LIMIT_POST", views.reply),
                endpoint="reply", methods=["POST"])
bp.add_url_rule("/posts/<int:post_id>/edit", view_func=views.edit, endpoint="edit", methods=["GET", "POST"])
bp.add_url_rule("/posts/<int:post_id>/delete", view_func=views.delete, endpoint="delete", methods=["POST"])
bp.add_url_rule("/posts/<int:post_id>/react", view_func=views.react, endpoint="react", methods=["POST"])
bp.add_url_rule("/posts/<int:post_id>/relay", view_func=views.relay, endpoint="relay", methods=["GET", "POST"])
bp.add_url_rule("/topics/<tag>", view_func=views.topic, endpoint="topic")
bp.add_url_rule("/members/<handle>", view_func=views.member_posts, endpoint="member_posts")
bp.add_url_rule("/media/<name>", view_func=views.media, endpoint="media")
bp.add_url_rule("/trending.json", view_func=views.trending_json, endpoint="trending_json")
bp.add_url_rule("/points", view_func=views_points.points, endpoint="points")
bp.add_url_rule("/leaderboard", view_func=views_points.leaderboard, endpoint="leaderboard")
bp.add_url_rule("/bridging", view_func=views_points.bridging, endpoint="bridging")
bp.add_url_rule("/admin/points", view_func=views_points.admin_points, endpoint="admin_points", methods=["GET", "POST"])
# `flask --app app influence rebuild-points` (the blueprint's CLI group is named after it)
bp.cli.command("rebuild-points")(points.rebuild_points_command)
# Announcements, highlights ("À la une") and Atom feeds (views_extra.py)
bp.add_url_rule("/announcements", view_func=views_extra.announcements_index, endpoint="announcements")
bp.add_url_rule("/announcements/new", view_func=views_extra.announcement_new, endpoint="announcement_new",
                methods=["GET", "POST"])
bp.add_url_rule("/announcements/<int:announcement_id>", view_func=views_extra.announcement, endpoint="announcement")
bp.add_url_rule("/announcements/<int:announcement_id>/dismiss", view_func=views_extra.announcement_dismiss,
                endpoint="announcement_dismiss", methods=["POST"])
bp.add_url_rule("/announcements/<int:announcement_id>/withdraw", view_func=views_extra.announcement_withdraw,
                endpoint="announcement_withdraw", methods=["POST"])
bp.add_url_rule("/highlights", view_func=views_extra.highlights_page, endpoint="highlights")
bp.add_url_rule("/highlights/new", view_func=views_extra.highlight_new, endpoint="highlight_new",
                methods=["GET", "POST"])
bp.add_url_rule("/highlights/<int:highlight_id>/unpin", view_func=views_extra.highlight_unpin,
                endpoint="highlight_unpin", methods=["POST"])
bp.add_url_rule("/atom.xml", view_func=views_extra.atom_all, endpoint="atom_all")
bp.add_url_rule("/members/<handle>/atom.xml", view_func=views_extra.atom_member, endpoint="atom_member")
bp.add_url_rule("/topics/<tag>/atom.xml", view_func=views_extra.atom_topic, endpoint="atom_topic")
