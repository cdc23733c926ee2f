//! Function words of several languages, dropped from story features: they
//! say nothing about which event an article reports.
//!
//! Short lists of the most frequent function words, written for this crate.
//! Matching is on the normalised (case-folded) token.

const ENGLISH: &str = "a about above after again against all also am an and any are as at be because been \
before being below between both but by can could did do does doing down during each few for from further \
had has have having he her here hers herself him himself his how i if in into is it its itself just me more \
most my myself no nor not now of off on once only or other our ours ourselves out over own same she should so \
some such than that the their theirs them themselves then there these they this those through to too under \
until up very was we were what when where which while who whom why will with would you your yours yourself \
yourselves said says say told tell one two three new last first year years may might like get got us mr mrs \
ms per still even back well way since according week weeks day days time including around many much another \
made make including going went people also would could told just however while";

const FRENCH: &str = "le la les un une des du de d l et ou mais donc or ni car que qui quoi dont où ce cet \
cette ces son sa ses leur leurs mon ma mes ton ta tes notre nos votre vos il elle ils elles on nous vous je \
tu se sur sous dans par pour avec sans entre vers chez est sont était été être avoir a ont avait pas ne plus \
aussi comme tout tous toute toutes au aux y en ainsi fait selon après avant";

const GERMAN: &str = "der die das den dem des ein eine einer eines einem einen und oder aber denn sondern \
dass daß wer was wo wie warum ich du er sie es wir ihr mich dich sich uns euch mein dein sein ihr unser euer \
in im an am auf aus bei mit nach von vor zu zum zur über unter durch für gegen ohne um ist sind war waren \
wird werden wurde wurden hat haben hatte hatten kann können nicht auch noch nur schon sehr so wie als wenn \
bis seit heute dieser diese dieses jedoch sowie laut";

const SPANISH: &str = "el la los las un una unos unas y o pero ni que qui quien cual cuyo donde como cuando \
de del al a en por para con sin sobre entre hasta desde hacia es son era eran fue fueron ser estar está están \
ha han había se su sus lo le les me te nos os mi tu yo él ella ellos ellas nosotros no sí más muy también ya \
este esta estos estas ese esa esos esas según tras";

const ITALIAN: &str = "il lo la i gli le un uno una e o ma né che chi cui dove come quando di del della dei \
degli delle al alla ai agli alle da dal dalla in nel nella nei negli nelle su sul sulla per con tra fra è sono \
era erano fu stato stata essere ha hanno aveva si suo sua suoi sue non più anche questo questa questi queste \
quello quella secondo dopo";

const PORTUGUESE: &str = "o a os as um uma uns umas e ou mas nem que quem qual onde como quando de do da dos \
das ao aos à às em no na nos nas por pelo pela para com sem sobre entre até desde é são era eram foi foram ser \
estar está estão tem têm havia se seu sua seus suas não mais muito também já este esta estes estas esse essa \
segundo após";

const DUTCH: &str = "de het een en of maar want dat die wie wat waar hoe wanneer ik jij je hij zij ze wij we \
jullie mij me zich ons hun mijn zijn haar in op aan uit bij met naar van voor tot over onder door om is zijn \
was waren wordt worden werd werden heeft hebben had hadden kan kunnen niet ook nog maar al zeer zo als dan \
deze dit volgens na";

/// Function words of other languages that are content words in English
/// ("war", "die", "met", "son", "door"...). The default configuration is for
/// English news, so English wins: these stay features.
const ENGLISH_CONTENT: &str = "war die met car plus son era sin come dove door want dan hat also \
fine tu";

/// Every language's list, one set.
pub(crate) fn stop_words() -> std::collections::HashSet<&'static str> {
    let english_content: std::collections::HashSet<&str> =
        ENGLISH_CONTENT.split_whitespace().collect();
    let english: std::collections::HashSet<&str> = ENGLISH.split_whitespace().collect();
    [FRENCH, GERMAN, SPANISH, ITALIAN, PORTUGUESE, DUTCH]
        .iter()
        .flat_map(|l| l.split_whitespace())
        .filter(|w| !english_content.contains(w))
        .chain(english)
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn english_content_words_are_kept() {
        let stop = super::stop_words();
        for w in ["war", "die", "met", "son", "door", "car"] {
            assert!(!stop.contains(w), "{w}");
        }
        for w in ["the", "und", "les", "los", "della", "uma", "het"] {
            assert!(stop.contains(w), "{w}");
        }
    }
}
