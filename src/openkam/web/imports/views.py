"""Importing files from the browser: the same all-or-nothing import as `openkam import`."""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from pathlib import Path

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from openkam.engine.schema import KINDS
from openkam.store.readers import FORMAT_NAMES, FORMATS
from openkam.web.core.models import AuditEvent
from openkam.web.core.roles import runs_programme

#: The file types an import takes (those the store reads).
SUFFIXES = tuple(FORMATS)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ",".join(SUFFIXES)}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        return (
            [single(d, initial) for d in data]
            if isinstance(data, list | tuple)
            else [single(data, initial)]
        )


class ImportForm(forms.Form):
    kind = forms.ChoiceField(choices=[(k, k) for k in KINDS])
    files = MultipleFileField(
        help_text="CSV, Excel (.xlsx, .xlsm, .xlsb, .xls), OpenDocument (.ods) or Parquet; "
        "several files are one import."
    )
    replace = forms.BooleanField(
        required=False, label="Let these files correct ledger records with the same key"
    )

    def clean_files(self):
        files = self.cleaned_data["files"]
        for f in files:
            if not f.name.lower().endswith(SUFFIXES):
                raise forms.ValidationError(f"{f.name}: use a {FORMAT_NAMES} file.")
        return files


def import_uploaded(kind: str, uploaded, user, replace: bool = False) -> dict:
    """Save the uploads under their own names in a temporary folder and import them.

    Raises ``openkam.store.ImportFailed`` with every problem, naming the files as uploaded.
    """
    from openkam.store import ImportFailed
    from openkam.web.ingest import run_import

    folder = Path(tempfile.mkdtemp(prefix="openkam-upload-"))
    try:
        paths = []
        for f in uploaded:
            path = folder / Path(f.name).name
            with path.open("wb") as out:
                for chunk in f.chunks():
                    out.write(chunk)
            paths.append(path)
        try:
            return run_import(kind, paths, user=user, actor="web", replace=replace)
        except ImportFailed as exc:
            # Name the files as the user uploaded them, not by our temporary folder.
            def named(issues):
                return [dataclasses.replace(i, file=Path(i.file).name) for i in issues]

            raise ImportFailed(named(exc.issues), exc.total, named(exc.warnings)) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@login_required
def upload(request):
    from openkam.store import ImportFailed
    from openkam.web.ingest import interrupted_imports, record_pending_imports

    allowed = runs_programme(request.user)
    record_pending_imports()
    form = ImportForm(request.POST or None, request.FILES or None)
    result = failure = None
    if request.method == "POST":
        if not allowed:
            raise PermissionDenied("Only the KAM champion or an administrator imports data.")
        if form.is_valid():
            try:
                result = import_uploaded(
                    form.cleaned_data["kind"],
                    form.cleaned_data["files"],
                    request.user,
                    form.cleaned_data["replace"],
                )
            except ImportFailed as exc:
                failure = exc
    return render(
        request,
        "imports/upload.html",
        {
            "form": form,
            "allowed": allowed,
            "result": result,
            "failure": failure,
            "kinds": KINDS,
            "interrupted": interrupted_imports(),
            "history": AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT).select_related(
                "user"
            )[:15],
        },
    )
