"""Partner enrolments paid with credits, single and bulk; progress and certificates."""
