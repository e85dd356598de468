"""What the staff and customer order pages share: the action forms (pause, resume, stop, cancel,
activate) and the one step of every action: validate → service → redirect, or re-render with the
refusal next to its fields."""
from webapp import htmx
from webapp.forms import apply_service_error
from webapp.forms.orders import OverrideForm, PauseForm, ResumeForm, StopForm
from webapp.services import Conflict, ValidationError


def action_forms(failed):
    """Blank action forms for an order page, with the form that failed (if any) in its place."""
    forms = {"pause_form": PauseForm(formdata=None), "resume_form": ResumeForm(formdata=None),
             "stop_form": StopForm(formdata=None), "cancel_form": OverrideForm(formdata=None),
             "activate_form": OverrideForm(formdata=None)}
    forms.update(failed)
    return forms


def run(form, form_name, call, *, page, done_url):
    """Validate `form` and `call()` the service; a refusal re-renders `page(status, **{form_name: form})`."""
    if form.validate_on_submit():
        try:
            call()
        except (ValidationError, Conflict) as error:
            apply_service_error(form, error)
            return page(error.status, **{form_name: form})
        return htmx.redirect_after_post(done_url)
    return page(422, **{form_name: form})
