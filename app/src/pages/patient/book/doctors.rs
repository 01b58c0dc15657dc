//! `/book/doctors?type=N`: choosing a doctor for a visit type — the patient's usual
//! doctor first (signed in), then everyone who offers it, each with their specialty,
//! languages and introduction. Choosing leads back to the finder with their times only.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::booking::doctor_choice;
use crate::api::directory::DoctorCard;

#[component]
pub fn BookDoctorsPage() -> impl IntoView {
    let query = use_query_map();
    let type_id = move || {
        query
            .read()
            .get("type")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(1)
    };
    let choice = Resource::new(type_id, doctor_choice);
    view! {
        <Title text="Choose a doctor"/>
        <h1>"Choose a doctor"</h1>
        <Suspense fallback=|| view! { <p>"Loading doctors…"</p> }>
            {move || Suspend::new(async move {
                match choice.await {
                    Err(e) => view! {
                        <div class="error" role="alert">
                            <p>{e.message()}</p>
                            <p><A href="/book">"Find a time with any doctor"</A></p>
                        </div>
                    }.into_any(),
                    Ok(c) => {
                        let t = c.appointment_type.appointment_type_id;
                        let any = format!("/book?type={t}");
                        let times = move |d: &DoctorCard| format!("/book?type={t}&doctor={}", d.doctor_id);
                        let usual = c.usual.clone().map(|d| view! {
                            <section class="usual-doctor" aria-labelledby="usual-heading">
                                <h2 id="usual-heading">"My usual doctor"</h2>
                                <p>
                                    {format!("{}, whom you saw most recently. ", d.display_name)}
                                    <A href=times(&d) attr:class="button">{format!("See {}'s times", d.display_name)}</A>
                                </p>
                            </section>
                        });
                        let count = c.doctors.len();
                        let cards = c.doctors.into_iter().map(|d| {
                            let href = times(&d);
                            let languages = (!d.languages.is_empty())
                                .then(|| format!("Speaks {}", d.languages.join(", ")));
                            view! {
                                <li class="doctor-card">
                                    <h3 class="doctor-name">{d.display_name.clone()}</h3>
                                    <p class="doctor-specialty">{d.specialty.clone()}</p>
                                    {languages.map(|l| view! { <p class="doctor-languages">{l}</p> })}
                                    {d.introduction.clone().map(|i| view! { <p class="doctor-intro">{i}</p> })}
                                    <A href=href attr:aria-label=format!("See times with {}", d.display_name)>"See times"</A>
                                </li>
                            }
                        }).collect_view();
                        view! {
                            <p>
                                {format!("For {} ({} min). ", c.appointment_type.name, c.appointment_type.minutes)}
                                <A href=any>"Any doctor (first available)"</A>
                            </p>
                            {usual}
                            <h2>{format!("Doctors who offer {} ({count})", c.appointment_type.name)}</h2>
                            <ul class="doctor-list" aria-label="Doctors">{cards}</ul>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}
