//! SERPRO: `POST /token`, Consulta CPF v1/v2 and Consulta CNPJ v2 (production and trial paths).

use balcao_sim::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET};
use serde_json::{Value, json};

use super::*;

#[tokio::test]
async fn token_endpoint_issues_an_opaque_token_for_an_hour() {
    let sim = sim().await;
    let res = client()
        .post(url(&sim, "/token"))
        .basic_auth(DEMO_CLIENT_ID, Some(DEMO_CLIENT_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "content-type"), "application/json; charset=utf-8");
    assert!(!header(&res, "activityid").is_empty());
    let body = json(res).await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "am_application_scope default");
    assert_eq!(body["expires_in"], 3600);
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(token.len(), 32);
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));

    // Two calls, two different tokens, both usable.
    let other = serpro_token(&sim).await;
    assert_ne!(other, token);
    assert_eq!(get(&sim, "/consulta-cpf-df/v1/cpf/40442820135", token).await.status(), 200);
    assert_eq!(get(&sim, "/consulta-cpf-df/v1/cpf/40442820135", &other).await.status(), 200);
}

#[tokio::test]
async fn token_endpoint_refuses_bad_requests() {
    let sim = sim().await;
    let c = client();
    // No form content type: 415.
    let res = c
        .post(url(&sim, "/token"))
        .basic_auth(DEMO_CLIENT_ID, Some(DEMO_CLIENT_SECRET))
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    // Wrong secret, no credentials: 401 invalid_client.
    for builder in [c.post(url(&sim, "/token")).basic_auth(DEMO_CLIENT_ID, Some("wrong")), c.post(url(&sim, "/token"))]
    {
        let res = builder.form(&[("grant_type", "client_credentials")]).send().await.unwrap();
        assert_eq!(res.status(), 401);
        assert_eq!(json(res).await["error"], "invalid_client");
    }
    // Another grant type: 400.
    let res = c
        .post(url(&sim, "/token"))
        .basic_auth(DEMO_CLIENT_ID, Some(DEMO_CLIENT_SECRET))
        .form(&[("grant_type", "password")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(json(res).await["error"], "unsupported_grant_type");
    // GET: 405.
    assert_eq!(c.get(url(&sim, "/token")).send().await.unwrap().status(), 405);
}

#[tokio::test]
async fn trial_cpf_matches_the_documented_example_exactly() {
    let sim = sim().await;
    let res = get(&sim, "/consulta-cpf-df-trial/v1/cpf/40442820135", TRIAL).await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "content-type"), "application/json; charset=utf-8");
    assert_eq!(header(&res, "x-powered-by"), "Express");
    assert_eq!(header(&res, "access-control-allow-origin"), "*");
    assert!(header(&res, "access-control-allow-headers").contains("x-cpf-usuario"));
    assert!(header(&res, "etag").starts_with("W/\""));
    let activity = header(&res, "activityid").to_owned();
    let parts: Vec<usize> = activity.split('-').map(str::len).collect();
    assert_eq!(parts, vec![8, 4, 4, 4, 12], "activityid is UUID-shaped: {activity}");
    assert_eq!(
        json(res).await,
        json!({"ni": "40442820135", "nome": "Nome do CPF 404.428.201-35", "situacao": {"codigo": "0", "descricao": "Regular"}})
    );
    // The trial does not need any token call.
    assert!(sim.requests().iter().all(|r| !r.is_token_call()));
}

#[tokio::test]
async fn every_trial_cpf_returns_its_documented_situacao() {
    // The current quick-start list (apis.md §1.2, S3; §8 A3): 16 CPFs, without the 2018 espólio/óbito ones.
    let expected = [
        ("40442820135", "0", "Regular"),
        ("63017285995", "0", "Regular"),
        ("91708635203", "0", "Regular"),
        ("58136053391", "0", "Regular"),
        ("40532176871", "2", "Suspensa"),
        ("47123586964", "2", "Suspensa"),
        ("07691852312", "4", "Pendente de Regularização"),
        ("10975384600", "4", "Pendente de Regularização"),
        ("01648527949", "5", "Cancelada por Multiplicidade"),
        ("47893062592", "5", "Cancelada por Multiplicidade"),
        ("98302514705", "8", "Nula"),
        ("18025346790", "8", "Nula"),
        ("64913872591", "9", "Cancelada de Ofício"),
        ("52389071686", "9", "Cancelada de Ofício"),
        ("05137518743", "3", "Titular Falecido"),
        ("08849979878", "3", "Titular Falecido"),
    ];
    let sim = sim().await;
    for (cpf, codigo, descricao) in expected {
        for version in ["v1", "v2"] {
            let res = get(&sim, &format!("/consulta-cpf-df-trial/{version}/cpf/{cpf}"), TRIAL).await;
            assert_eq!(res.status(), 200, "{cpf} {version}");
            let body = json(res).await;
            assert_eq!(body["ni"], cpf);
            let formatted = format!("{}.{}.{}-{}", &cpf[0..3], &cpf[3..6], &cpf[6..9], &cpf[9..]);
            assert_eq!(body["nome"], format!("Nome do CPF {formatted}"));
            assert_eq!(body["situacao"]["codigo"], codigo, "{cpf}");
            assert_eq!(body["situacao"]["descricao"], descricao, "{cpf}");
            if let Some(n) = body.get("nascimento") {
                let n = n.as_str().unwrap();
                assert!(n.len() == 8 && n.bytes().all(|b| b.is_ascii_digit()), "DDMMAAAA: {n}");
                assert!(n[0..2].parse::<u8>().unwrap() <= 31 && n[2..4].parse::<u8>().unwrap() <= 12, "DDMMAAAA: {n}");
            }
        }
    }
    // The four 2018-only CPFs (espólio, óbito sem espólio) are no longer on the trial: 404 there.
    for cpf in ["47856021985", "23479805647", "49852036700", "28769150494"] {
        assert_eq!(get(&sim, &format!("/consulta-cpf-df-trial/v1/cpf/{cpf}"), TRIAL).await.status(), 404, "{cpf}");
    }
    // The older trial base works too, and production paths serve the same records with a real token.
    assert_eq!(get(&sim, "/consulta-cpf-trial/1/cpf/91708635203", TRIAL).await.status(), 200);
    let token = serpro_token(&sim).await;
    assert_eq!(json(get(&sim, "/consulta-cpf-df/v1/cpf/91708635203", &token).await).await["nascimento"], "01011975");
}

#[tokio::test]
async fn v2_adds_nome_social_and_data_inscricao_which_v1_omits() {
    let sim = sim().await;
    let token = serpro_token(&sim).await;
    let v2 = json(get(&sim, "/consulta-cpf-df/v2/cpf/00000000434", &token).await).await;
    assert_eq!(v2["nomeSocial"], "ANA CLARA ALVES COSTA");
    assert_eq!(v2["dataInscricao"], "18102011");
    assert_eq!(v2["nascimento"], "09021995");
    let v1 = json(get(&sim, "/consulta-cpf-df/v1/cpf/00000000434", &token).await).await;
    assert!(v1.get("nomeSocial").is_none() && v1.get("dataInscricao").is_none());
    assert_eq!(v1["nome"], v2["nome"]);
    // Upper-case descriptions exist too ("REGULAR"), and the pre-1990 literal inscription date.
    let old = json(get(&sim, "/consulta-cpf-df/v2/cpf/15135168095", &token).await).await;
    assert_eq!(old["situacao"], json!({"codigo": "0", "descricao": "REGULAR"}));
    assert_eq!(old["dataInscricao"], "anterior a 10/11/1990");
}

#[tokio::test]
async fn minor_is_422_on_v1_and_v2_partial_is_206_deceased_has_obito() {
    let sim = sim().await;
    let token = serpro_token(&sim).await;
    // apis.md §8 A1: the return-code page does not tie 422 to v2.
    for version in ["v1", "v2"] {
        let res = get(&sim, &format!("/consulta-cpf-df/{version}/cpf/52998224725"), &token).await;
        assert_eq!(res.status(), 422, "{version}");
        assert!(json(res).await["mensagem"].as_str().unwrap().contains("LGPD"));
    }

    let res = get(&sim, "/consulta-cpf-df/v2/cpf/71460238001", &token).await;
    assert_eq!(res.status(), 206);
    let body = json(res).await;
    assert_eq!(body["nome"], "JULIANA CRISTINA MOURA");
    assert!(body.get("dataInscricao").is_none());
    assert_eq!(get(&sim, "/consulta-cpf-df/v1/cpf/71460238001", &token).await.status(), 200);

    let dead = json(get(&sim, "/consulta-cpf-df/v2/cpf/39053344705", &token).await).await;
    assert_eq!(dead["situacao"]["codigo"], "3");
    assert_eq!(dead["obito"], "2021");
}

#[tokio::test]
async fn a_record_changes_from_the_second_lookup_on() {
    let sim = sim().await;
    let token = serpro_token(&sim).await;
    let first = json(get(&sim, "/consulta-cpf-df/v2/cpf/11144477735", &token).await).await;
    assert_eq!(first["nome"], "MARIA APARECIDA DA SILVA");
    assert_eq!(first["situacao"]["codigo"], "0");
    for _ in 0..2 {
        let later = json(get(&sim, "/consulta-cpf-df/v1/cpf/11144477735", &token).await).await;
        assert_eq!(later["nome"], "MARIA APARECIDA DA SILVA SANTOS");
        assert_eq!(later["situacao"], json!({"codigo": "4", "descricao": "Pendente de Regularização"}));
        assert_eq!(later["nascimento"], first["nascimento"]);
    }
    // Same for a company: Ativa first, Inapta with a new address afterwards.
    let first = json(get(&sim, "/consulta-cnpj-df/v2/basica/27504931000183", &token).await).await;
    assert_eq!(first["situacaoCadastral"]["codigo"], "2");
    let later = json(get(&sim, "/consulta-cnpj-df/v2/empresa/27504931000183", &token).await).await;
    assert_eq!(later["situacaoCadastral"]["codigo"], "4");
    assert_eq!(later["endereco"]["logradouro"], "T-63");
    assert_eq!(later["endereco"]["uf"], "GO", "the merge patch keeps untouched fields");
}

#[tokio::test]
async fn cpf_errors_400_404_html_401() {
    let sim = sim().await;
    let token = serpro_token(&sim).await;
    for bad in ["40442820136", "404.428.201-35", "11111111111", "4044282013"] {
        let res = get(&sim, &format!("/consulta-cpf-df/v1/cpf/{bad}"), &token).await;
        assert_eq!(res.status(), 400, "{bad}");
        assert_eq!(header(&res, "content-type"), "application/json; charset=utf-8");
        assert_eq!(json(res).await["mensagem"], format!("CPF <{bad}> inválido!"));
    }
    // Valid but unknown: 404 text/html.
    let res = get(&sim, "/consulta-cpf-df/v1/cpf/12345678909", &token).await;
    assert_eq!(res.status(), 404);
    assert_eq!(header(&res, "content-type"), "text/html; charset=utf-8");
    assert!(!header(&res, "activityid").is_empty());
    assert_eq!(res.text().await.unwrap(), "Nenhum registro encontrado.");
    // The trial only knows its own list.
    assert_eq!(get(&sim, "/consulta-cpf-df-trial/v1/cpf/00000000272", TRIAL).await.status(), 404);
    assert_eq!(get(&sim, "/consulta-cpf-df/v1/cpf/00000000272", &token).await.status(), 200);

    // 401: no token, unknown token, trial bearer off the trial, the old trial bearer, a Conecta token.
    let res = client().get(url(&sim, "/consulta-cpf-df/v1/cpf/40442820135")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(json(res).await["mensagem"].is_string());
    assert_eq!(
        get(&sim, "/consulta-cpf-df/v1/cpf/40442820135", "c66a7def1c96f7008a0c397dc588b6d7").await.status(),
        401
    );
    assert_eq!(get(&sim, "/consulta-cpf-df/v1/cpf/40442820135", TRIAL).await.status(), 401);
    let old_trial = "4e1a1858bdd584fdc077fb7d80f39283";
    assert_eq!(get(&sim, "/consulta-cpf-df-trial/v1/cpf/40442820135", old_trial).await.status(), 401);
    let jwt = conecta_token(&sim).await;
    assert_eq!(get(&sim, "/consulta-cpf-df/v1/cpf/40442820135", &jwt).await.status(), 401);
    // Wrong path: 403; wrong method: 405.
    assert_eq!(get(&sim, "/consulta-cpf-df/v3/cpf/40442820135", &token).await.status(), 403);
    assert_eq!(get(&sim, "/consulta-cpf-df/v1/CPF/40442820135", &token).await.status(), 403);
    let res = client().post(url(&sim, "/consulta-cpf-df/v1/cpf/40442820135")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), 405);
}

#[tokio::test]
async fn x_signature_returns_a_stamp_header() {
    let sim = sim().await;
    let res = client()
        .get(url(&sim, "/consulta-cpf-df-trial/v1/cpf/40442820135"))
        .bearer_auth(TRIAL)
        .header("x-signature", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(!header(&res, "stamp").is_empty());
    let res = get(&sim, "/consulta-cpf-df-trial/v1/cpf/40442820135", TRIAL).await;
    assert!(res.headers().get("stamp").is_none());
}

#[tokio::test]
async fn trial_cnpj_empresa_matches_the_2023_recording() {
    let sim = sim().await;
    let res = get(&sim, "/consulta-cnpj-df-trial/v2/empresa/34238864000168", TRIAL).await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "content-type"), "application/json; charset=utf-8");
    let body = json(res).await;
    assert_eq!(body["nomeEmpresarial"], "UHIEQKX WHNHIWD NH FIXKHUUWPHMVX NH NWNXU (UHIFIX)");
    assert_eq!(body["tipoEstabelecimento"], "1");
    assert_eq!(body["situacaoCadastral"], json!({"codigo": "2", "data": "2019-06-19", "motivo": ""}));
    assert_eq!(body["naturezaJuridica"], json!({"codigo": "2011", "descricao": "Empresa Pública"}));
    assert_eq!(body["dataAbertura"], "1967-06-30");
    assert_eq!(body["cnaePrincipal"]["codigo"], "6204000");
    assert_eq!(body["endereco"]["municipio"], json!({"codigo": "9701", "descricao": "BRASILIA"}));
    assert_eq!(body["endereco"]["pais"], json!({"codigo": "105", "descricao": "BRASIL"}));
    assert_eq!(body["municipioJurisdicao"], json!({"codigo": "0110100", "descricao": "BRASÍLIA"}));
    assert_eq!(body["telefones"], json!([{"ddd": "61", "numero": "22222222"}]));
    assert_eq!(body["capitalSocial"], 0);
    assert_eq!(body["porte"], "05");
    assert_eq!(body["informacoesAdicionais"], json!({}));
    assert_eq!(
        body["socios"],
        json!([{"tipoSocio": "2", "cpf": "07119488449", "nome": "LUIZA ARAUJO DE OLIVEIRA", "qualificacao": "49",
                "dataInclusao": "2014-01-01", "pais": {"codigo": "105", "descricao": "BRASIL"},
                "representanteLegal": {"cpf": "00000000000", "nome": "", "qualificacao": "00"}}])
    );
}

#[tokio::test]
async fn cnpj_views_nest_basica_in_qsa_in_empresa() {
    let sim = sim().await;
    let token = serpro_token(&sim).await;
    let cnpj = "42318949000184";
    let basica = json(get(&sim, &format!("/consulta-cnpj-df/v2/basica/{cnpj}"), &token).await).await;
    let qsa = json(get(&sim, &format!("/consulta-cnpj-df/v2/qsa/{cnpj}"), &token).await).await;
    let empresa = json(get(&sim, &format!("/consulta-cnpj-df/v2/empresa/{cnpj}"), &token).await).await;
    assert!(basica.get("socios").is_none() && basica.get("informacoesAdicionais").is_none());
    for (key, value) in basica.as_object().unwrap() {
        assert_eq!(&qsa[key], value, "qsa repeats basica's {key}");
        assert_eq!(&empresa[key], value, "empresa repeats basica's {key}");
    }
    assert_eq!(qsa["informacoesAdicionais"], empresa["informacoesAdicionais"]);
    let qsa_socios = qsa["socios"].as_array().unwrap();
    let empresa_socios = empresa["socios"].as_array().unwrap();
    assert_eq!(qsa_socios.len(), empresa_socios.len());
    for (q, e) in qsa_socios.iter().zip(empresa_socios) {
        assert!(q.get("cpf").is_none() && q.get("dataInclusao").is_none(), "QSA omits partner CPFs: {q}");
        assert!(q["representanteLegal"].get("cpf").is_none());
        assert_eq!(q["nome"], e["nome"]);
        assert_eq!(q["representanteLegal"]["nome"], e["representanteLegal"]["nome"]);
        assert!(e.get("dataInclusao").is_some());
    }
    // Empresa carries the CPFs (the foreign partner has none), and the minor's legal representative.
    let cpfs: Vec<&str> = empresa_socios.iter().filter_map(|s| s["cpf"].as_str()).collect();
    assert_eq!(cpfs, vec!["39053344705", "52998224725"]);
    assert_eq!(empresa_socios[2]["representanteLegal"]["cpf"], "34567891228");
    assert_eq!(empresa["situacaoEspecial"], "RECUPERACAO JUDICIAL");
    assert_eq!(empresa["telefone"], json!([{"ddd": "71", "numero": "36029900"}]), "the spec's singular spelling");
}

#[tokio::test]
async fn cnpj_errors_and_alphanumeric_numbers() {
    let sim = sim().await;
    let token = serpro_token(&sim).await;
    let res = get(&sim, "/consulta-cnpj-df-trial/v2/basica/44356113000108", TRIAL).await;
    assert_eq!(res.status(), 404);
    assert_eq!(header(&res, "content-type"), "text/html; charset=utf-8");
    assert_eq!(res.text().await.unwrap(), "Nenhum registro encontrado. ");
    // With its slash, a masked CNPJ is another path altogether: 403.
    assert_eq!(get(&sim, "/consulta-cnpj-df/v2/basica/34.238.864/0001-68", &token).await.status(), 403);
    for bad in ["34238864000169", "12abc34501de35", "34.238.864.0001-68", "11111111111111"] {
        let res = get(&sim, &format!("/consulta-cnpj-df/v2/basica/{bad}"), &token).await;
        assert_eq!(res.status(), 400, "{bad}");
        assert_eq!(json(res).await["mensagem"], format!("CNPJ <{bad}> inválido!"));
    }
    for alnum in ["12ABC34501DE35", "A1B2C3D4000193", "00ABCDEF000157", "AB123CD4567811"] {
        let body = json(get(&sim, &format!("/consulta-cnpj-df/v2/basica/{alnum}"), &token).await).await;
        assert_eq!(body["ni"], alnum);
        // Not in the trial list.
        assert_eq!(get(&sim, &format!("/consulta-cnpj-df-trial/v2/basica/{alnum}"), TRIAL).await.status(), 404);
    }
    assert_eq!(get(&sim, "/consulta-cnpj-df/v2/socios/34238864000168", &token).await.status(), 403);
}

#[tokio::test]
async fn every_trial_cnpj_answers_on_all_three_views() {
    let trial = [
        ("34238864000168", "2"),
        ("54447820000155", "3"),
        ("46768703000165", "4"),
        ("31151791000184", "8"),
        ("34428654000132", "1"),
        ("06115832000130", "2"),
        ("78078291000128", "2"),
        ("52293473000128", "2"),
        ("07781066000105", "2"),
        ("60367129000164", "2"),
    ];
    let sim = sim().await;
    for (cnpj, situacao) in trial {
        for view in ["basica", "qsa", "empresa"] {
            let res = get(&sim, &format!("/consulta-cnpj-df-trial/v2/{view}/{cnpj}"), TRIAL).await;
            assert_eq!(res.status(), 200, "{cnpj} {view}");
            let body = json(res).await;
            assert_eq!(body["ni"], cnpj);
            assert_eq!(body["situacaoCadastral"]["codigo"], situacao);
            let date = body["dataAbertura"].as_str().unwrap();
            assert!(date.len() == 10 && &date[4..5] == "-" && &date[7..8] == "-", "AAAA-MM-DD: {date}");
        }
    }
}

#[tokio::test]
async fn simples_periods_come_in_every_documented_spelling_and_position() {
    let sim = sim().await;
    let token = serpro_token(&sim).await;
    let mut seen = Vec::new();
    for cnpj in ["11222333000181", "11444777000161", "A1B2C3D4000193", "00ABCDEF000157"] {
        let body = json(get(&sim, &format!("/consulta-cnpj-df/v2/empresa/{cnpj}"), &token).await).await;
        for key in ["listaPeriodoSimples", "listaPeriodosSimples"] {
            if body.get(key).is_some() {
                seen.push(format!("root.{key}"));
            }
            if body["informacoesAdicionais"].get(key).is_some() {
                seen.push(format!("informacoesAdicionais.{key}"));
            }
        }
        // Básica never carries them.
        let basica = json(get(&sim, &format!("/consulta-cnpj-df/v2/basica/{cnpj}"), &token).await).await;
        assert!(basica.get("listaPeriodoSimples").is_none() && basica.get("listaPeriodosSimples").is_none());
    }
    seen.sort();
    assert_eq!(
        seen,
        vec![
            "informacoesAdicionais.listaPeriodoSimples",
            "informacoesAdicionais.listaPeriodosSimples",
            "root.listaPeriodoSimples",
            "root.listaPeriodosSimples",
        ]
    );
    // The MEI: no socios group, capitalSocial as a string.
    let mei = json(get(&sim, "/consulta-cnpj-df/v2/empresa/00ABCDEF000157", &token).await).await;
    assert_eq!(mei["naturezaJuridica"]["codigo"], "2135");
    assert!(mei.get("socios").is_none());
    assert_eq!(mei["capitalSocial"], Value::String("500000".into()));
    assert_eq!(mei["informacoesAdicionais"]["optanteMei"], "S");
}

#[tokio::test]
async fn the_partner_check_company_lists_trial_cpfs() {
    let sim = sim().await;
    let token = serpro_token(&sim).await;
    let body = json(get(&sim, "/consulta-cnpj-df/v2/empresa/11222333000181", &token).await).await;
    let cpfs: Vec<&str> = body["socios"].as_array().unwrap().iter().filter_map(|s| s["cpf"].as_str()).collect();
    assert_eq!(cpfs, vec!["40442820135", "05137518743", "40532176871"]);
    let mut situacoes = Vec::new();
    for cpf in cpfs {
        let person = json(get(&sim, &format!("/consulta-cpf-df-trial/v1/cpf/{cpf}"), TRIAL).await).await;
        situacoes.push(person["situacao"]["descricao"].as_str().unwrap().to_owned());
    }
    assert_eq!(situacoes, vec!["Regular", "Titular Falecido", "Suspensa"]);
}
