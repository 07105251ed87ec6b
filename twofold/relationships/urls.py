from __future__ import annotations

from django.urls import path

from twofold.relationships import views

app_name = "relationships"
urlpatterns = [
    # A participant's home: invitations, enrolments and pairs (drawn here, above programmes).
    path("programmes/mine/", views.my_programmes, name="mine"),
    path("calendar/<slug:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("calendar/rotate/", views.calendar_rotate, name="calendar_rotate"),
    # The pair's page; twofold/relationships/links.py builds the same path for emails and calendars.
    path("relationships/<int:pk>/", views.relationship_detail, name="detail"),
    path("relationships/<int:pk>/answer/", views.relationship_answer_view, name="answer"),
    path("relationships/<int:pk>/withdraw-request/", views.relationship_request_withdraw_view, name="withdraw_request"),
    path("relationships/<int:pk>/agreement/", views.agreement_edit, name="agreement"),
    path("relationships/<int:pk>/agreement/accept/", views.agreement_accept_view, name="agreement_accept"),
    path("relationships/<int:pk>/meetings/", views.meeting_list, name="meetings"),
    path("relationships/<int:pk>/meetings/log/", views.meeting_add, name="meeting_log"),
    path("relationships/<int:pk>/meetings/schedule/", views.meeting_plan, name="meeting_schedule"),
    path("relationships/<int:pk>/meetings/<int:meeting_id>/", views.meeting_edit, name="meeting_edit"),
    path("relationships/<int:pk>/knowledge/", views.knowledge_add, name="knowledge"),
    path("relationships/<int:pk>/advocacy/", views.advocacy_add, name="advocacy"),
    path("relationships/<int:pk>/advocacy/<int:action_id>/outcome/", views.advocacy_outcome, name="advocacy_outcome"),
    path("relationships/<int:pk>/check-ins/", views.check_in_add, name="check_in"),
    path("relationships/<int:pk>/concerns/", views.concern_add, name="concern"),
    path("relationships/<int:pk>/nominate/", views.nominate, name="nominate"),
    path("relationships/<int:pk>/end/", views.relationship_end_view, name="end"),
    path("relationships/<int:pk>/complete/", views.relationship_complete_view, name="complete"),
    # Programme managers.
    path("programmes/<int:pk>/health/", views.programme_health_view, name="programme_health"),
    path("programmes/<int:pk>/pairs/", views.pairs_list, name="pairs"),
    path("programmes/<int:pk>/pairs.csv", views.pairs_export, name="pairs_csv"),
    path("programmes/<int:pk>/pairs/<int:pair_id>/", views.pair_detail, name="pair"),
    path("programmes/<int:pk>/pairs/<int:pair_id>/nudge/", views.pair_nudge, name="pair_nudge"),
    path("programmes/<int:pk>/pairs/<int:pair_id>/extend/", views.pair_extend, name="pair_extend"),
    path("programmes/<int:pk>/pairs/<int:pair_id>/end/", views.pair_end, name="pair_end"),
    path("programmes/<int:pk>/pool/<int:enrolment_id>/pick/", views.pick_partner, name="pick_partner"),
    path("concerns/", views.concern_list, name="concerns"),
    path("concerns/<int:pk>/", views.concern_handle, name="concern_handle"),
]
