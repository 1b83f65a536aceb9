"""Courses with three lessons, shared with every partner or with chosen ones at custom values."""

from __future__ import annotations

from app.models import Course, CoursePartner, Lesson


class CatalogFactory:
    def course(self, title=None, value=10, assign_to_all=True, partners=None, **kwargs) -> Course:
        course = Course(title=title or f"Course {self.n()}", value_per_enrolment=value,
                        assign_to_all_partners=assign_to_all, **kwargs)
        self.db.session.add(course)
        self.db.session.flush()
        for position in (1, 2, 3):
            self.db.session.add(Lesson(course_id=course.id, position=position, title=f"Lesson {position}"))
        for partner, custom in (partners or {}).items():
            self.db.session.add(CoursePartner(course_id=course.id, partner_id=partner.id, custom_value=custom))
        self.db.session.flush()
        return course
