"""All core models; importing this package registers their tables on db.metadata."""

from .activity import Activity
from .audit import AuditEntry, record
from .follow import Follow
from .job import JobRun
from .member import (
    ROLES,
    TAG_KINDS,
    ConsentRecord,
    EmailPreference,
    Member,
    MemberSession,
    MemberSocket,
    MemberTag,
)
from .moderation import HiddenContent, Report
from .notification import Notification
from .settings import ModuleState, Setting

__all__ = [
    "ROLES",
    "TAG_KINDS",
    "Activity",
    "AuditEntry",
    "ConsentRecord",
    "EmailPreference",
    "Follow",
    "HiddenContent",
    "JobRun",
    "Member",
    "MemberSession",
    "MemberSocket",
    "MemberTag",
    "ModuleState",
    "Notification",
    "Report",
    "Setting",
    "record",
]
