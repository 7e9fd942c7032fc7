"""URL rules of the influence module."""

from community.ratelimits import limited
from community.registry import module_blueprint

from . import views

bp = module_blueprint("influence", __name__)
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
