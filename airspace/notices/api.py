"""Notices API: an operator reads their organization's notices and marks them read."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from airspace import roles

from .selectors import notices_of
from .serializers import OperatorNoticeSerializer
from .services import mark_read


class IsOperator(roles._RolePermission):
    roles = (roles.OPERATOR,)
    message = "Only operators have notices."


UNREAD = OpenApiParameter("unread", bool, description="true: only the notices not yet read")


class OperatorNoticeViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """What the authority told the caller's organization, newest first. Other organizations'
    notices are never listed, and marking one of them read answers 404."""

    serializer_class = OperatorNoticeSerializer
    permission_classes = [IsAuthenticated, IsOperator]
    filterset_class = None

    def get_queryset(self):
        notices = notices_of(self.request.user)
        if self.action == "list" and self.request.query_params.get("unread") in ("true", "1"):
            notices = notices.filter(read_at=None)
        return notices

    @extend_schema(parameters=[UNREAD])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=OperatorNoticeSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark the notice read (for the whole organization); returns it."""
        notice = self.get_object()
        mark_read(user=request.user, notice_ids=[notice.pk])
        notice.refresh_from_db()
        return Response(OperatorNoticeSerializer(notice).data)
