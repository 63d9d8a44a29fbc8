"""The words of the family's consent: its statuses, how it was given, and what it covers (its scope)."""

from __future__ import annotations

from enum import StrEnum


class ConsentStatus(StrEnum):
    GIVEN = "given"
    REFUSED = "refused"
    NOT_SOUGHT_RISK = "not_sought_risk"
    WITHDRAWN = "withdrawn"
    GIVEN_AGAIN = "given_again"


CONSENT_TITLES: dict[ConsentStatus, str] = {
    ConsentStatus.GIVEN: "Consent given",
    ConsentStatus.REFUSED: "Consent refused",
    ConsentStatus.NOT_SOUGHT_RISK: "Not sought: seeking it would increase the risk to the child",
    ConsentStatus.WITHDRAWN: "Consent withdrawn",
    ConsentStatus.GIVEN_AGAIN: "Consent given again",
}

# What a new request may say about consent; withdrawn and given again come later, from the request's card.
REQUEST_STATUSES = (ConsentStatus.GIVEN, ConsentStatus.REFUSED, ConsentStatus.NOT_SOUGHT_RISK)
# The statuses that stand for consent the family has given.
GIVEN_STATUSES = frozenset({ConsentStatus.GIVEN, ConsentStatus.GIVEN_AGAIN})


class ConsentMethod(StrEnum):
    IN_PERSON = "in_person"
    BY_PHONE = "by_phone"
    AT_MEETING = "at_meeting"


METHOD_TITLES: dict[ConsentMethod, str] = {
    ConsentMethod.IN_PERSON: "in person",
    ConsentMethod.BY_PHONE: "by phone",
    ConsentMethod.AT_MEETING: "at the meeting",
}

# Words an older request form's free text used for how consent was given ("In person at the home visit").
_METHOD_WORDS: tuple[tuple[str, ConsentMethod], ...] = (
    ("person", ConsentMethod.IN_PERSON),
    ("visit", ConsentMethod.IN_PERSON),
    ("phone", ConsentMethod.BY_PHONE),
    ("call", ConsentMethod.BY_PHONE),
    ("meeting", ConsentMethod.AT_MEETING),
)


def method_of(value: str) -> ConsentMethod | None:
    """How consent was given, from the form's choice (or the free text older forms sent); None if it says neither."""
    words = value.strip().lower()
    try:
        return ConsentMethod(words)
    except ValueError:
        pass
    for title_method, title in METHOD_TITLES.items():
        if words == title:
            return title_method
    for word, method in _METHOD_WORDS:
        if word in words:
            return method
    return None


class ConsentScope(StrEnum):
    """What the family consented to; a profile offers some of these and says which a direction needs."""

    SHARE_INFORMATION = "share_information"
    EARLY_HELP_OFFER = "early_help_offer"
    EARLY_HELP_ASSESSMENT = "early_help_assessment"
    SOCIAL_CARE_REFERRAL = "social_care_referral"
    INFORMED_PLAN = "informed_plan"


# The form's words, and the summary line's shorter ones.
SCOPE_TITLES: dict[ConsentScope, str] = {
    ConsentScope.SHARE_INFORMATION: "Sharing information with the receiving service",
    ConsentScope.EARLY_HELP_OFFER: "The early help offer",
    ConsentScope.EARLY_HELP_ASSESSMENT: "The early help assessment",
    ConsentScope.SOCIAL_CARE_REFERRAL: "A referral to social care",
    ConsentScope.INFORMED_PLAN: "Informed consent: the family have seen the assessment and agreed the plan",
}
SCOPE_SHORT: dict[ConsentScope, str] = {
    ConsentScope.SHARE_INFORMATION: "sharing information",
    ConsentScope.EARLY_HELP_OFFER: "early help offer",
    ConsentScope.EARLY_HELP_ASSESSMENT: "early help assessment",
    ConsentScope.SOCIAL_CARE_REFERRAL: "referral to social care",
    ConsentScope.INFORMED_PLAN: "informed consent (assessment seen, plan agreed)",
}
