//! Accounts: create doctor and admin accounts; disable or re-enable any account; reset
//! someone's two-step sign-in (with a reason).

use leptos::prelude::*;

use crate::api::accounts::{AccountRow, CreateAccount, ResetTwoStep, SetAccountDisabled};
use crate::components::form::{field_message, Field};
use crate::AppError;

#[component]
pub fn AccountsSection(
    create: ServerAction<CreateAccount>,
    toggle: ServerAction<SetAccountDisabled>,
    reset: ServerAction<ResetTwoStep>,
    accounts: Resource<Result<Vec<AccountRow>, AppError>>,
) -> impl IntoView {
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    let for_field =
        move |field: &'static str| Signal::derive(move || field_message(error.get(), field));
    let toggle_error = move || {
        toggle
            .value()
            .get()
            .and_then(Result::err)
            .map(|e: AppError| e.to_string())
    };

    let reset_error = move || {
        reset
            .value()
            .get()
            .and_then(Result::err)
            .map(|e: AppError| e.to_string())
    };

    view! {
        <section aria-labelledby="accounts-heading">
            <h2 id="accounts-heading">"Accounts"</h2>
            <p class="form-error" role="alert">{toggle_error}{reset_error}</p>
            <p class="form-status" role="status">
                {move || matches!(reset.value().get(), Some(Ok(()))).then_some("Two-step sign-in was reset; they were told by email.")}
            </p>
            <Suspense fallback=|| view! { <p>"Loading accounts…"</p> }>
                {move || Suspend::new(async move {
                    match accounts.await {
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        Ok(rows) => view! {
                            <div class="table-scroll">
                                <table class="accounts">
                                    <thead><tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Role"</th><th scope="col">"Status"</th><th scope="col">"Two-step"</th><th scope="col"><span class="visually-hidden">"Action"</span></th></tr></thead>
                                    <tbody>
                                        {rows.into_iter().map(|row| {
                                            let label = if row.disabled { "Enable" } else { "Disable" };
                                            let reset_label = format!("Reset two-step sign-in of {}", row.email);
                                            view! {
                                                <tr>
                                                    <td>{row.display_name.clone()}</td>
                                                    <td>{row.email.clone()}</td>
                                                    <td>{row.role.as_str()}</td>
                                                    <td>{if row.disabled { "disabled" } else { "active" }}</td>
                                                    <td>
                                                        {if row.two_step { "on" } else { "off" }}
                                                        {row.two_step.then(|| view! {
                                                            <ActionForm action=reset attr:class="inline-form">
                                                                <input type="hidden" name="user_id" value=row.user_id/>
                                                                <label for=format!("reset-reason-{}", row.user_id)>"Reason"</label>
                                                                <input id=format!("reset-reason-{}", row.user_id) name="reason" required maxlength="500"/>
                                                                <button type="submit" aria-label=reset_label.clone()>"Reset two-step"</button>
                                                            </ActionForm>
                                                        })}
                                                    </td>
                                                    <td>
                                                        <ActionForm action=toggle>
                                                            <input type="hidden" name="user_id" value=row.user_id/>
                                                            <input type="hidden" name="disabled" value=(!row.disabled).to_string()/>
                                                            <button type="submit" aria-label=format!("{label} {}", row.email)>{label}</button>
                                                        </ActionForm>
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                    }
                })}
            </Suspense>

            <h3>"Create a doctor or admin account"</h3>
            <ActionForm action=create>
                <div class="field">
                    <label for="field-role">"Role"</label>
                    <select id="field-role" name="role">
                        <option value="doctor">"Doctor"</option>
                        <option value="admin">"Admin"</option>
                    </select>
                </div>
                <Field name="first_name" label="First name" required=true error=for_field("first_name")/>
                <Field name="last_name" label="Last name" required=true error=for_field("last_name")/>
                <Field name="email" label="Email" kind="email" required=true error=for_field("email")/>
                <Field name="specialty" label="Specialty (doctors)" error=for_field("specialty")/>
                <Field name="password" label="First password" kind="password" autocomplete="new-password" required=true
                    hint="Give it to them privately; they can change it under Account." error=for_field("password")/>
                <p class="form-status" role="status">
                    {move || match create.value().get() {
                        Some(Ok(row)) => Some(format!("Created {}.", row.email)),
                        Some(Err(e)) if !matches!(e, AppError::Validation { .. }) => Some(e.to_string()),
                        _ => None,
                    }}
                </p>
                <button type="submit" disabled=move || create.pending().get()>"Create account"</button>
            </ActionForm>
        </section>
    }
}
