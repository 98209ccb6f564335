package dev.smartbroker.simulator;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.IParser;
import org.hl7.fhir.r4.model.Address;
import org.hl7.fhir.r4.model.BooleanType;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.ContactPoint;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.DateType;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Enumerations;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.HumanName;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Narrative;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Practitioner;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.StringType;

/**
 * The synthetic chart: the sandbox's SMART family (docs/ehr/cerner.md §6), their encounters and a few
 * observations, and the clinicians' Practitioner resources, built with HAPI R4 structures in Cerner's style
 * (§7: {@code CI-} element ids, a tenant-local codeSet coding marked {@code userSelected} beside the standard
 * coding, {@code rank} as a string). Serialised once per tenant at start, so reads are map lookups.
 */
final class FhirData {

    /** A synthetic patient and the encounter PowerChart has open for them. */
    record SyntheticPatient(String id, String family, String given, String gender, String birthDate, String encounterId, String mrn) {

        String display() {
            return family + ", " + given;
        }
    }

    /**
     * Ids and names from Cerner's doc examples (§6). The encounters of WILMA and TIMMY are the Code Console launch
     * contexts seen in the sandbox; the other encounter ids, birth dates of all but JOE, and MRNs are made up.
     */
    static final List<SyntheticPatient> PATIENTS = List.of(
            new SyntheticPatient("12724065", "SMART", "WILMA", "female", "1947-02-10", "97953483", "6927"),
            new SyntheticPatient("12724066", "SMART", "NANCY", "female", "1980-08-11", "97953477", "6928"),
            new SyntheticPatient("12724067", "SMART", "JOE", "male", "1976-04-29", "97953480", "6931"),
            new SyntheticPatient("12724068", "SMART", "HAILEY", "female", "2004-03-19", "97953486", "6929"),
            new SyntheticPatient("12724069", "SMART", "TIMMY", "male", "2012-06-02", "97953492", "6930"));

    /** One serialised resource and, for chart resources, the patient whose compartment it is in. */
    record Stored(String type, String id, String json, String patientId) {
    }

    /** HAPI writes ContactPoint.rank as a number; Cerner sends a string (§7). */
    private static final Pattern NUMERIC_RANK = Pattern.compile("\"rank\":(\\d+)");
    private static final Date LAST_UPDATED = new Date(1594070482000L);

    private final Map<String, Map<String, Stored>> byTenant = new HashMap<>();

    FhirData(FhirContext fhir, List<SimulatorConfig.Tenant> tenants, List<SimulatorConfig.User> users) {
        IParser parser = fhir.newJsonParser();
        for (SimulatorConfig.Tenant tenant : tenants) {
            Map<String, Stored> resources = new LinkedHashMap<>();
            for (SyntheticPatient p : PATIENTS) {
                put(resources, parser, patient(tenant.id(), p), p.id());
                put(resources, parser, encounter(tenant.id(), p), p.id());
                for (Observation o : observations(tenant.id(), p)) {
                    put(resources, parser, o, p.id());
                }
            }
            for (SimulatorConfig.User user : users) {
                put(resources, parser, practitioner(tenant.id(), user), null);
            }
            byTenant.put(tenant.id(), Map.copyOf(resources));
        }
    }

    private static void put(Map<String, Stored> resources, IParser parser, Resource resource, String patientId) {
        String json = NUMERIC_RANK.matcher(parser.encodeResourceToString(resource)).replaceAll("\"rank\":\"$1\"");
        String id = resource.getIdElement().getIdPart();
        resources.put(resource.fhirType() + "/" + id, new Stored(resource.fhirType(), id, json, patientId));
    }

    Stored get(String tenant, String type, String id) {
        Map<String, Stored> resources = byTenant.get(tenant);
        return resources == null ? null : resources.get(type + "/" + id);
    }

    /** Resources of a type in one patient's compartment, in id order. */
    List<Stored> search(String tenant, String type, String patientId) {
        return select(tenant, s -> s.type().equals(type) && patientId.equals(s.patientId()));
    }

    /** Patients matching every given search parameter (Cerner's Patient search needs at least one, §5). */
    List<Stored> searchPatients(String tenant, Map<String, String> params) {
        List<String> ids = new ArrayList<>();
        for (SyntheticPatient p : PATIENTS) {
            if (matches(p, params)) {
                ids.add(p.id());
            }
        }
        return select(tenant, s -> s.type().equals("Patient") && ids.contains(s.id()));
    }

    private List<Stored> select(String tenant, Predicate<Stored> filter) {
        List<Stored> found = new ArrayList<>();
        for (Stored s : byTenant.getOrDefault(tenant, Map.of()).values()) {
            if (filter.test(s)) {
                found.add(s);
            }
        }
        found.sort((a, b) -> a.id().compareTo(b.id()));
        return found;
    }

    private static boolean matches(SyntheticPatient p, Map<String, String> params) {
        for (Map.Entry<String, String> e : params.entrySet()) {
            String v = e.getValue().toUpperCase(Locale.ROOT);
            boolean ok = switch (e.getKey()) {
                case "_id" -> p.id().equals(e.getValue());
                case "family" -> p.family().startsWith(v);
                case "given" -> p.given().startsWith(v);
                case "name" -> p.family().startsWith(v) || p.given().startsWith(v);
                case "birthdate" -> p.birthDate().equals(e.getValue());
                case "identifier" -> e.getValue().endsWith("|" + p.mrn()) || e.getValue().equals(p.mrn());
                case "gender" -> p.gender().equalsIgnoreCase(e.getValue());
                default -> true;
            };
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    static SyntheticPatient patient(String id) {
        return PATIENTS.stream().filter(p -> p.id().equals(id)).findFirst().orElse(null);
    }

    // ---------------------------------------------------------------- builders

    /** A CodeableConcept as Cerner writes it: the tenant-local codeSet coding, user-selected, then the standard one. */
    private static CodeableConcept concept(String tenant, int codeSet, String localCode, String display, String system, String code,
                                           String standardDisplay) {
        CodeableConcept c = new CodeableConcept();
        c.addCoding(new Coding("https://fhir.cerner.com/" + tenant + "/codeSet/" + codeSet, localCode, display).setUserSelected(true));
        if (system != null) {
            c.addCoding(new Coding(system, code, standardDisplay).setUserSelected(false));
        }
        c.setText(display);
        return c;
    }

    private static Narrative narrative(String title, String... lines) {
        StringBuilder div = new StringBuilder("<div xmlns=\"http://www.w3.org/1999/xhtml\"><p><b>").append(title).append("</b></p>");
        for (String line : lines) {
            div.append("<p>").append(line).append("</p>");
        }
        Narrative n = new Narrative();
        n.setStatus(Narrative.NarrativeStatus.GENERATED);
        n.setDivAsString(div.append("</div>").toString());
        return n;
    }

    private static String last(String id, int n) {
        return id.substring(id.length() - n);
    }

    private static Patient patient(String tenant, SyntheticPatient p) {
        Patient patient = new Patient();
        patient.setId(p.id());
        patient.getMeta().setVersionId("10").setLastUpdated(LAST_UPDATED);
        patient.setText(narrative("Patient", "<b>Name</b>: " + Html.esc(p.display()), "<b>Status</b>: Active",
                "<b>DOB</b>: " + p.birthDate(), "<b>Administrative Gender</b>: " + p.gender()));
        Extension race = patient.addExtension().setUrl("http://hl7.org/fhir/us/core/StructureDefinition/us-core-race");
        race.addExtension("ombCategory", new Coding("urn:oid:2.16.840.1.113883.6.238", "2106-3", "White").setUserSelected(false));
        race.addExtension("text", new StringType("White"));
        Identifier mrn = patient.addIdentifier();
        mrn.setId("CI-4900168" + last(p.id(), 2) + "-0");
        mrn.setUse(Identifier.IdentifierUse.USUAL);
        mrn.setType(concept(tenant, 4, "10", "MRN", "http://terminology.hl7.org/CodeSystem/v2-0203", "MR", "Medical record number"));
        mrn.setSystem("urn:oid:2.16.840.1.113883.6.1000");
        mrn.setValue(p.mrn());
        mrn.setPeriod(new Period().setStartElement(new DateTimeType("2019-12-26T15:14:12.000Z")));
        patient.setActive(true);
        HumanName name = patient.addName();
        name.setId("CI-" + p.id() + "-0");
        name.setUse(HumanName.NameUse.OFFICIAL).setText(p.display()).setFamily(p.family()).addGiven(p.given());
        name.setPeriod(new Period().setStartElement(new DateTimeType("2019-12-26T15:14:12.000Z")));
        ContactPoint phone = patient.addTelecom();
        phone.setId("CI-PH-298119" + last(p.id(), 2) + "-0");
        phone.setSystem(ContactPoint.ContactPointSystem.PHONE).setValue("81688888" + last(p.id(), 2))
                .setUse(ContactPoint.ContactPointUse.HOME).setRank(1);
        patient.setGender(Enumerations.AdministrativeGender.fromCode(p.gender()));
        patient.setBirthDateElement(new DateType(p.birthDate()));
        patient.setDeceased(new BooleanType(false));
        Address address = patient.addAddress();
        address.setId("CI-243135" + last(p.id(), 2) + "-0");
        address.setUse(Address.AddressUse.HOME).setText("12345 Main St\nKansas city, MO 64116\nUS").addLine("12345 Main St")
                .setCity("Kansas city").setDistrict("Jackson").setState("MO").setPostalCode("64116").setCountry("US");
        patient.setMaritalStatus(concept(tenant, 38, "309237", "Married", "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus", "M", "Married"));
        patient.addCommunication().setPreferred(true)
                .setLanguage(concept(tenant, 36, "151", "English", "urn:ietf:bcp:47", "en", "English"));
        Reference gp = new Reference("Practitioner/4122622").setDisplay("Cerner Test, Physician - Hospitalist Cerner");
        gp.setId("CI-4900170" + last(p.id(), 2) + "-0");
        patient.addGeneralPractitioner(gp);
        return patient;
    }

    private static Encounter encounter(String tenant, SyntheticPatient p) {
        Encounter e = new Encounter();
        e.setId(p.encounterId());
        e.getMeta().setVersionId("4").setLastUpdated(LAST_UPDATED);
        e.setText(narrative("Encounter", "<b>Patient</b>: " + Html.esc(p.display()), "<b>Type</b>: Inpatient",
                "<b>Status</b>: In Progress"));
        Identifier fin = e.addIdentifier();
        fin.setId("CI-" + p.encounterId() + "-0");
        fin.setUse(Identifier.IdentifierUse.USUAL);
        fin.setType(concept(tenant, 319, "1077", "FIN NBR", "http://terminology.hl7.org/CodeSystem/v2-0203", "AN", "Account number"));
        fin.setSystem("urn:oid:2.16.840.1.113883.3.13.6").setValue("1000" + p.encounterId());
        e.setStatus(Encounter.EncounterStatus.INPROGRESS);
        e.setClass_(new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "IMP", "inpatient encounter").setUserSelected(false));
        e.addType(concept(tenant, 71, "309308", "Inpatient", null, null, null));
        e.setSubject(new Reference("Patient/" + p.id()).setDisplay(p.display()));
        e.setPeriod(new Period().setStartElement(new DateTimeType("2020-07-06T21:21:22.000Z")));
        return e;
    }

    private static List<Observation> observations(String tenant, SyntheticPatient p) {
        int seed = p.id().charAt(7) - '0';
        return List.of(
                vital(tenant, p, 1, "703511", "Heart Rate", "8867-4", "Heart rate", String.valueOf(72 + seed), "/min", "/min"),
                vital(tenant, p, 2, "4154120", "Weight Measured", "29463-7", "Body weight", String.valueOf(60 + 3 * seed), "kg", "kg"),
                vital(tenant, p, 3, "703558", "Temperature Oral", "8331-1", "Oral temperature", "36." + seed, "degC", "Cel"));
    }

    private static Observation vital(String tenant, SyntheticPatient p, int n, String localCode, String display, String loinc,
                                     String loincDisplay, String value, String unit, String ucum) {
        Observation o = new Observation();
        o.setId("M-19729" + last(p.id(), 2) + n);
        o.getMeta().setVersionId("1").setLastUpdated(LAST_UPDATED);
        o.setText(narrative("Observation", "<b>" + display + "</b>: " + value + " " + unit));
        o.setStatus(Observation.ObservationStatus.FINAL);
        o.addCategory(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs",
                "Vital Signs").setUserSelected(false)).setText("Vital Signs"));
        o.setCode(concept(tenant, 72, localCode, display, "http://loinc.org", loinc, loincDisplay));
        o.setSubject(new Reference("Patient/" + p.id()).setDisplay(p.display()));
        o.setEncounter(new Reference("Encounter/" + p.encounterId()));
        o.setEffective(new DateTimeType("2020-07-06T21:30:00.000Z"));
        o.setValue(new Quantity().setValue(new BigDecimal(value)).setUnit(unit).setSystem("http://unitsofmeasure.org").setCode(ucum));
        return o;
    }

    private static Practitioner practitioner(String tenant, SimulatorConfig.User user) {
        Practitioner pr = new Practitioner();
        pr.setId(user.practitionerId());
        pr.getMeta().setVersionId("20").setLastUpdated(new Date(1699476626000L));
        pr.setText(narrative("Practitioner", "<b>Name</b>: " + Html.esc(user.displayName()), "<b>Status</b>: Active"));
        pr.addExtension("https://fhir-ehr.cerner.com/r4/StructureDefinition/is-physician", new BooleanType(true));
        pr.addIdentifier().setUse(Identifier.IdentifierUse.USUAL)
                .setType(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/v2-0203", "NPI", "National provider identifier"))
                        .setText("National Provider Identifier"))
                .setSystem("http://hl7.org/fhir/sid/us-npi").setValue("1" + String.format(Locale.ROOT, "%09d",
                        Math.abs(user.practitionerId().hashCode()) % 1_000_000_000));
        pr.setActive(true);
        pr.addName().setUse(HumanName.NameUse.USUAL).setText(user.displayName()).setFamily(user.family()).addGiven(user.given());
        pr.addTelecom().setSystem(ContactPoint.ContactPointSystem.EMAIL).setValue(user.email()).setUse(ContactPoint.ContactPointUse.WORK);
        pr.setGender(Enumerations.AdministrativeGender.OTHER);
        pr.addQualification().setCode(concept(tenant, 29600, "677018", "AMA", null, null, null));
        return pr;
    }
}
