"""WTForms forms, one module per area. Forms check shape; services check rules."""
from flask_wtf import FlaskForm


def apply_service_error(form, error):
    """Put a ServiceError's messages next to the fields they concern (else at the form's top)."""
    placed = False
    for field_name, message in error.errors.items():
        field = getattr(form, field_name, None) if field_name else None
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + [message]
            placed = True
    if not placed:
        form.form_errors.append(error.message)
    return form


__all__ = ["FlaskForm", "apply_service_error"]
