"""REST endpoint for imports: multipart upload of one or more files of one kind."""

from __future__ import annotations

import dataclasses

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from openkam.engine.schema import KINDS
from openkam.store.readers import FORMAT_NAMES
from openkam.web.core.roles import runs_programme
from openkam.web.imports.views import SUFFIXES, import_uploaded


class ImportRequest(serializers.Serializer):
    kind = serializers.ChoiceField(choices=list(KINDS))
    files = serializers.ListField(child=serializers.FileField(), allow_empty=False)
    replace = serializers.BooleanField(required=False, default=False)

    def validate_files(self, files):
        for f in files:
            if not f.name.lower().endswith(SUFFIXES):
                raise serializers.ValidationError(f"{f.name}: use a {FORMAT_NAMES} file.")
        return files


class ImportViewSet(viewsets.ViewSet):
    """Import files, all or nothing (champion and admins). A failed import answers 422 with
    every problem: file, row, column, reason and value."""

    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": ImportRequest}, responses={201: dict, 422: dict})
    def create(self, request):
        from openkam.store import ImportFailed

        if not runs_programme(request.user):
            raise PermissionDenied("Only the KAM champion or an administrator imports data.")
        data = {
            "kind": request.data.get("kind"),
            "files": request.FILES.getlist("files"),
            "replace": request.data.get("replace", False),
        }
        body = ImportRequest(data=data)
        body.is_valid(raise_exception=True)
        try:
            result = import_uploaded(
                body.validated_data["kind"],
                body.validated_data["files"],
                request.user,
                body.validated_data["replace"],
            )
        except ImportFailed as exc:
            return Response(
                {
                    "detail": "import failed; nothing was loaded",
                    "total_issues": exc.total,
                    "issues": [dataclasses.asdict(i) for i in exc.issues],
                },
                status=status.HTTP_422_UNPROCESSABLE_ENTITY,
            )
        return Response(result, status=status.HTTP_201_CREATED)


ROUTES = [("imports", ImportViewSet, "import")]
