"""Users across conversations: a profile carried into each conversation of a user
(:mod:`~chatrec.users.carry`), watch-history import (:mod:`~chatrec.users.history` reads the
exports, :mod:`~chatrec.users.linking` links rows to catalog items and reports), and the
:class:`User` object with export and forget (:mod:`~chatrec.users.user`)."""

from chatrec.users.carry import UserLink, carried, check_user_id, merge_into, start_from
from chatrec.users.history import BadRow, History, HistoryRow, parse_history, read_history
from chatrec.users.linking import Ambiguous, ImportReport, Linked, Missing
from chatrec.users.user import DISLIKE_AT, LIKE_AT, User

__all__ = ["DISLIKE_AT", "LIKE_AT", "Ambiguous", "BadRow", "History", "HistoryRow",
           "ImportReport", "Linked", "Missing", "User", "UserLink", "carried", "check_user_id",
           "merge_into", "parse_history", "read_history", "start_from"]
