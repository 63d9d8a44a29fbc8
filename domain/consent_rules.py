"""Which consent a request needs before it is sent: the profile's [consent] rules, checked against a consent."""

from __future__ import annotations

from collections.abc import Collection

from domain.consent_terms import GIVEN_STATUSES, ConsentScope, ConsentStatus
from domain.directions import DIRECTION_TITLES, Direction
from domain.profiles import PolicyProfile

# What the family consents to, as the words after "the family's consent to".
SCOPE_WORDS: dict[ConsentScope, str] = {
    ConsentScope.SHARE_INFORMATION: "share information with the receiving service",
    ConsentScope.EARLY_HELP_OFFER: "the early help offer",
    ConsentScope.EARLY_HELP_ASSESSMENT: "the early help assessment",
    ConsentScope.SOCIAL_CARE_REFERRAL: "a referral to social care",
    ConsentScope.INFORMED_PLAN: "the early help plan, having seen the assessment (informed consent)",
}


def _scopes_words(scopes: Collection[ConsentScope]) -> str:
    names = [SCOPE_WORDS[s] for s in ConsentScope if s in scopes]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def scope_problems(
    direction: Direction, status: ConsentStatus, scopes: Collection[ConsentScope], profile: PolicyProfile
) -> list[str]:
    """Why this consent does not cover what the profile needs for this direction, naming the missing scope;
    empty when it does. A scope the profile does not offer is a problem too."""
    unknown = set(scopes) - set(profile.consent.scopes)
    if unknown:
        return ["Choose what the consent covers from the list."]
    title = DIRECTION_TITLES[direction].lower()
    problems: list[str] = []
    for rule in profile.consent.rules_for(direction):
        if status in GIVEN_STATUSES:
            missing = [s for s in rule.needs if s not in scopes]
            if missing:
                problems.append(
                    f"In {profile.authority} a request to {title} needs the family's consent to "
                    f"{_scopes_words(missing)} ({rule.source.split(':')[0]}): record that it covers it."
                )
        elif status is ConsentStatus.NOT_SOUGHT_RISK and rule.unless_risk:
            continue
        else:
            instead = (
                " (or, where seeking it would increase the risk to the child, that it was not sought)"
                if rule.unless_risk
                else ""
            )
            problems.append(
                f"In {profile.authority} a request to {title} needs the family's consent to "
                f"{_scopes_words(rule.needs)} ({rule.source.split(':')[0]}): record who gave it, how and when"
                f"{instead}."
            )
    return list(dict.fromkeys(problems))
