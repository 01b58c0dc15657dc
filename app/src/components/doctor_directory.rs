//! The "Our doctors" list with a search box that filters it in the browser.

use leptos::prelude::*;

use crate::api::directory::DoctorCard;

#[component]
pub fn DoctorDirectory(doctors: Vec<DoctorCard>) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let total = doctors.len();
    let doctors = StoredValue::new(doctors);
    let visible = Memo::new(move |_| {
        let q = query.get();
        doctors.with_value(|all| {
            all.iter()
                .filter(|d| d.matches(&q))
                .cloned()
                .collect::<Vec<_>>()
        })
    });

    view! {
        <div class="doctor-directory">
            <label for="doctor-search">"Search by name, specialty or language"</label>
            <input
                id="doctor-search"
                type="search"
                autocomplete="off"
                placeholder="e.g. cardiology"
                prop:value=move || query.get()
                on:input=move |ev| query.set(event_target_value(&ev))
            />
            <p class="result-count" role="status" aria-live="polite">
                {move || {
                    let shown = visible.with(Vec::len);
                    if shown == total {
                        format!("{total} doctors")
                    } else {
                        format!("Showing {shown} of {total} doctors")
                    }
                }}
            </p>
            <ul class="doctor-list" aria-label="Doctors">
                <For each=move || visible.get() key=|d| d.doctor_id let:doctor>
                    <li class="doctor-card">
                        <span class="doctor-name">{doctor.display_name}</span>
                        <span class="doctor-specialty">{doctor.specialty}</span>
                        {(!doctor.languages.is_empty()).then(|| view! {
                            <span class="doctor-languages">{format!("Speaks {}", doctor.languages.join(", "))}</span>
                        })}
                        {doctor.introduction.map(|i| view! { <span class="doctor-intro">{i}</span> })}
                    </li>
                </For>
            </ul>
            <Show when=move || visible.with(Vec::is_empty)>
                <p class="empty">{move || format!("No doctor matches “{}”.", query.get())}</p>
            </Show>
        </div>
    }
}
