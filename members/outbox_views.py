"""The sender's view of the outbox: their sendings (batches), who got what, and "Send again".

A member sees the batches they sent; staff see every batch. Anybody else gets a 404, so
nobody learns what was sent to whom.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, Count, IntegerField, Max, Min, Q, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from members import services, tasks
from members.access import member_required
from members.forms import SendAgainForm
from members.models import Member
from members.outbox import Kind, OutboundMessage

Status = OutboundMessage.Status
PENDING = (Status.QUEUED, Status.SENDING)
SENT = (Status.SENT, Status.DELIVERED)
PROBLEMS = (Status.FAILED, Status.BOUNCED, Status.COMPLAINED)
BATCHES_PER_PAGE = 50
# Reasons Concerto itself stores in English (shown translated); anything else is a provider's answer.
OWN_REASONS = services.OUTBOX_REASONS | {tasks.FAILED_APPLICATION_ERROR}


def _visible_messages(member: Member) -> QuerySet[OutboundMessage]:
    """The rows of sendings this member may see: the ones they sent, or all of them for staff."""
    rows = OutboundMessage.objects.exclude(batch="")
    return rows if member.user.is_staff else rows.filter(created_by=member)


def _get_batch(member: Member, batch: str) -> tuple[QuerySet[OutboundMessage], dict[str, int], dict | None]:
    """(the batch's rows, {status: count}, the sending's preparation or None); 404 when the
    member may not see it or it does not exist (no rows, and none being written)."""
    rows = _visible_messages(member).in_batch(batch)
    counts = rows.status_counts()
    preparing = tasks.batch_in_preparation(batch)
    if preparing and not (member.user.is_staff or preparing["created_by"] == member.pk):
        preparing = None
    if not any(counts.values()) and preparing is None:
        raise Http404
    return rows, counts, preparing


def _summary(counts: dict[str, int], preparing: dict | None = None) -> dict:
    """Totals by what they mean to the sender, and the sentence the live region reads out.

    While the sending's emails are still being written (`preparing`), the total is the number
    there will be, and those not written yet count as waiting.
    """
    written = sum(counts.values())
    to_write = max(preparing["count"] - written, 0) if preparing else 0
    total = written + to_write
    pending = sum(counts[status] for status in PENDING) + to_write
    sent = sum(counts[status] for status in SENT)
    problems = sum(counts[status] for status in PROBLEMS)
    skipped = counts[Status.SUPPRESSED]
    if preparing:
        text = ngettext(
            "Preparing %(total)d email: %(written)d written, %(sent)d sent so far.",
            "Preparing %(total)d emails: %(written)d written, %(sent)d sent so far.",
            total,
        ) % {"total": total, "written": written, "sent": sent}
    elif pending:
        text = ngettext(
            "Sending: %(pending)d of %(total)d message still waiting.",
            "Sending: %(pending)d of %(total)d messages still waiting.",
            total,
        ) % {"pending": pending, "total": total}
    else:
        text = gettext(
            "Finished: %(sent)d sent or delivered, %(problems)d failed or bounced, %(skipped)d not sent."
        ) % {"sent": sent, "problems": problems, "skipped": skipped}
    return {
        "total": total,
        "pending": pending,
        "preparing": to_write if preparing else 0,
        "sent": sent,
        "problems": problems,
        "skipped": skipped,
        "text": text,
    }


@member_required
@require_GET
def outbox_list(request: HttpRequest) -> HttpResponse:
    """The sendings the member made (every sending for staff), newest first, with status counts."""
    per_status = {f"{status}_count": Count("pk", filter=Q(status=status)) for status in Status.values}
    batches = (
        _visible_messages(request.member)
        .values("batch")
        .annotate(
            kind=Min("kind"),
            title=Max("batch_title"),
            started_at=Min("created_at"),
            total=Count("pk"),
            **per_status,
        )
        .order_by("-started_at", "batch")
    )
    page = Paginator(batches, BATCHES_PER_PAGE).get_page(request.GET.get("page"))
    kinds = dict(Kind.choices)
    for row in page.object_list:
        counts = {status: row[f"{status}_count"] for status in Status.values}
        row["kind_label"] = kinds.get(row["kind"], row["kind"])
        # Sendings queued before they had a title are named by their kind.
        row["title"] = row["title"] or row["kind_label"]
        row["summary"] = _summary(counts)
    return render(request, "members/outbox_list.html", {"page": page})


@member_required
@require_http_methods(["GET", "POST"])
def outbox_batch(request: HttpRequest, batch: str) -> HttpResponse:
    """One sending: counts per status, every recipient, and "Send again" for the failed ones."""
    rows, counts, preparing = _get_batch(request.member, batch)
    if request.method == "POST":
        return _send_again(request, rows, batch)

    # Problems first, so that what needs the sender's attention is at the top.
    needs_attention = Case(
        When(status__in=PROBLEMS, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    recipients = list(
        rows.select_related("member__user")
        .annotate(attention=needs_attention)
        .order_by("attention", "to_email", "pk")
    )
    for row in recipients:
        # Our own reasons are stored in English and shown in the reader's language;
        # a provider's answer is shown as it came. An error before a later success is history.
        if row.status in SENT:
            row.error_text = ""
        elif row.last_error in OWN_REASONS:
            row.error_text = gettext(row.last_error)
        else:
            row.error_text = row.last_error
        row.status_text = (
            gettext("Could not be sent") if row.status == Status.FAILED else row.get_status_display()
        )
        row.can_send_again = row.status == Status.FAILED and row.last_error != services.FAILED_INVALID_ADDRESS
    if recipients:
        kind_label = recipients[0].get_kind_display()
        title = next((row.batch_title for row in recipients if row.batch_title), kind_label)
        started_at = min(row.created_at for row in recipients)
    else:  # nothing written yet: what the task preparing it says
        kind_label = dict(Kind.choices).get(preparing["kind"], "")
        title, started_at = preparing["title"] or kind_label, preparing["since"]
    context = {
        "batch": batch,
        "title": title,
        "recipients": recipients,
        "kind_label": kind_label,
        "started_at": started_at,
        "status_counts": [(status, label, counts[status]) for status, label in Status.choices],
        "summary": _summary(counts, preparing),
    }
    return render(request, "members/outbox_batch.html", context)


def _send_again(request: HttpRequest, rows: QuerySet[OutboundMessage], batch: str) -> HttpResponse:
    form = SendAgainForm(data=request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Choose a message to send again."))
        return redirect("members:outbox-batch", batch=batch)
    message = get_object_or_404(rows, pk=form.cleaned_data["message"])
    try:
        services.retry_message(message=message)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        text = gettext("The message to %(email)s is queued to be sent again.") % {"email": message.to_email}
        messages.success(request, text)
    return redirect("members:outbox-batch", batch=batch)


@member_required
@require_GET
def outbox_batch_status(request: HttpRequest, batch: str) -> JsonResponse:
    """The batch's live counts, polled by static/js/outbox.js while it is being sent."""
    _rows, counts, preparing = _get_batch(request.member, batch)
    summary = _summary(counts, preparing)
    return JsonResponse(
        {
            "counts": counts,
            "total": summary["total"],
            "pending": summary["pending"],
            "preparing": summary["preparing"],
            "sent": summary["sent"],
            "problems": summary["problems"],
            "skipped": summary["skipped"],
            "summary": summary["text"],
        }
    )
