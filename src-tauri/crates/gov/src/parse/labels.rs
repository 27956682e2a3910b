//! pt-BR labels for the codes the APIs return: qualificação de sócio, porte, tipo de sócio, sexo.

use balcao_core::record::CodeLabel;

/// Qualificação de sócio / representante legal (Receita Federal table, codes 05…79).
pub(crate) fn qualification(code: &str) -> Option<&'static str> {
    Some(match code {
        "05" => "Administrador",
        "08" => "Conselheiro de Administração",
        "09" => "Curador",
        "10" => "Diretor",
        "11" => "Interventor",
        "12" => "Inventariante",
        "13" => "Liquidante",
        "14" => "Mãe",
        "15" => "Pai",
        "16" => "Presidente",
        "17" => "Procurador",
        "18" => "Secretário",
        "19" => "Síndico (Condomínio)",
        "20" => "Sociedade Consorciada",
        "21" => "Sociedade Filiada",
        "22" => "Sócio",
        "23" => "Sócio Capitalista",
        "24" => "Sócio Comanditado",
        "25" => "Sócio Comanditário",
        "26" => "Sócio de Indústria",
        "28" => "Sócio-Gerente",
        "29" => "Sócio Incapaz ou Relativamente Incapaz (exceto menor)",
        "30" => "Sócio Menor (Assistido/Representado)",
        "31" => "Sócio Ostensivo",
        "32" => "Tabelião",
        "33" => "Tesoureiro",
        "34" => "Titular de Empresa Individual Imobiliária",
        "35" => "Tutor",
        "37" => "Sócio Pessoa Jurídica Domiciliado no Exterior",
        "38" => "Sócio Pessoa Física Residente no Exterior",
        "39" => "Diplomata",
        "40" => "Cônsul",
        "41" => "Representante de Organização Internacional",
        "42" => "Oficial de Registro",
        "43" => "Responsável",
        "46" => "Ministro de Estado das Relações Exteriores",
        "47" => "Sócio Pessoa Física Residente no Brasil",
        "48" => "Sócio Pessoa Jurídica Domiciliado no Brasil",
        "49" => "Sócio-Administrador",
        "50" => "Empresário",
        "51" => "Candidato a Cargo Político Eletivo",
        "52" => "Sócio com Capital",
        "53" => "Sócio sem Capital",
        "54" => "Fundador",
        "55" => "Sócio Comanditado Residente no Exterior",
        "56" => "Sócio Comanditário Pessoa Física Residente no Exterior",
        "57" => "Sócio Comanditário Pessoa Jurídica Domiciliado no Exterior",
        "58" => "Sócio Comanditário Incapaz",
        "59" => "Produtor Rural",
        "60" => "Cônsul Honorário",
        "61" => "Responsável Indígena",
        "62" => "Representante da Instituição Extraterritorial",
        "63" => "Cotas em Tesouraria",
        "64" => "Administrador Judicial",
        "65" => "Titular Pessoa Física Residente ou Domiciliado no Brasil",
        "66" => "Titular Pessoa Física Residente ou Domiciliado no Exterior",
        "67" => "Titular Pessoa Física Incapaz ou Relativamente Incapaz (exceto menor)",
        "68" => "Titular Pessoa Física Menor (Assistido/Representado)",
        "69" => "Beneficiário Final",
        "70" => "Administrador Residente ou Domiciliado no Exterior",
        "71" => "Conselheiro de Administração Residente ou Domiciliado no Exterior",
        "72" => "Diretor Residente ou Domiciliado no Exterior",
        "73" => "Presidente Residente ou Domiciliado no Exterior",
        "74" => "Sócio-Administrador Residente ou Domiciliado no Exterior",
        "75" => "Fundador Residente ou Domiciliado no Exterior",
        "76" => "Protetor",
        "77" => "Vice-Presidente",
        "78" => "Titular Pessoa Jurídica Domiciliada no Brasil",
        "79" => "Titular Pessoa Jurídica Domiciliada no Exterior",
        _ => return None,
    })
}

/// A qualificação code (string or integer, leading zero restored) with its label.
pub(crate) fn qualification_label(code: &str) -> CodeLabel {
    let code =
        if code.len() == 1 && code.bytes().all(|b| b.is_ascii_digit()) { format!("0{code}") } else { code.to_owned() };
    let label = match qualification(&code) {
        Some(l) => l.to_owned(),
        None if code == "00" => "Não informada".to_owned(),
        None => format!("Qualificação {code}"),
    };
    CodeLabel { code, label }
}

/// Porte da empresa.
pub(crate) fn size(code: &str) -> CodeLabel {
    let code = if code.len() == 1 { format!("0{code}") } else { code.to_owned() };
    let label = match code.as_str() {
        "00" => "Não informado".to_owned(),
        "01" => "Microempresa (ME)".to_owned(),
        "03" => "Empresa de Pequeno Porte (EPP)".to_owned(),
        "05" => "Demais".to_owned(),
        other => format!("Porte {other}"),
    };
    CodeLabel { code, label }
}

/// Tipo de sócio: 1 pessoa jurídica, 2 pessoa física, 3 estrangeiro.
pub(crate) fn partner_kind(code: &str) -> CodeLabel {
    let label = match code {
        "1" => "Pessoa jurídica".to_owned(),
        "2" => "Pessoa física".to_owned(),
        "3" => "Estrangeiro".to_owned(),
        other => format!("Tipo {other}"),
    };
    CodeLabel { code: code.to_owned(), label }
}

/// CPF Light `Sexo`: 1 masculino, 2 feminino, 9 não informado.
pub(crate) fn sex(code: &str) -> String {
    match code {
        "1" | "M" => "Masculino".to_owned(),
        "2" | "F" => "Feminino".to_owned(),
        "9" | "0" => "Não informado".to_owned(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualification_table_covers_the_documented_codes() {
        for (code, label) in [
            ("05", "Administrador"),
            ("09", "Curador"),
            ("14", "Mãe"),
            ("15", "Pai"),
            ("17", "Procurador"),
            ("35", "Tutor"),
            ("49", "Sócio-Administrador"),
            ("79", "Titular Pessoa Jurídica Domiciliada no Exterior"),
        ] {
            assert_eq!(qualification(code), Some(label));
        }
        assert_eq!(qualification_label("5").code, "05");
        assert_eq!(qualification_label("00").label, "Não informada");
        assert_eq!(qualification_label("99").label, "Qualificação 99");
        let known = (5..=79).filter(|n| qualification(&format!("{n:02}")).is_some()).count();
        assert!(known >= 68, "{known}");
    }

    #[test]
    fn porte_partner_kind_and_sex() {
        assert_eq!(size("05").label, "Demais");
        assert_eq!(size("1").code, "01");
        assert_eq!(partner_kind("2").label, "Pessoa física");
        assert_eq!(sex("2"), "Feminino");
    }
}
