use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::directory::{get_clinic_directory, use_clinic_profile};
use crate::components::doctor_directory::DoctorDirectory;

#[component]
pub fn HomePage() -> impl IntoView {
    let clinic = use_clinic_profile();
    // The doctors only here: every other page needs the clinic's name and contacts alone.
    let directory = Resource::new(|| (), |_| get_clinic_directory());
    view! {
        <Title text=""/>
        <section class="hero" aria-labelledby="welcome-heading">
            <h1 id="welcome-heading">
                <Suspense fallback=|| "Welcome">
                    {move || Suspend::new(async move {
                        match clinic.await {
                            Ok(c) => format!("Welcome to {}", c.name),
                            Err(_) => "Welcome".to_owned(),
                        }
                    })}
                </Suspense>
            </h1>
            <p>
                "Book a visit online at a time that suits you. You choose the time; "
                "the clinic finds a doctor who is free."
            </p>
            <p class="actions"><A href="/book" attr:class="button">"Find a time"</A></p>
        </section>
        <section class="doctors" aria-labelledby="doctors-heading">
            <h2 id="doctors-heading">"Our doctors"</h2>
            <Suspense fallback=|| view! { <p>"Loading the list of doctors…"</p> }>
                {move || Suspend::new(async move {
                    match directory.await {
                        Ok(d) => view! { <DoctorDirectory doctors=d.doctors/> }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
