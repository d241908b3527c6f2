/**
 * The fake `support-assistant` workflow behind `vellum-batch demo`: a deterministic keyword classifier that
 * answers customer-support questions in English, Spanish, French and German. It is a pure function (no I/O,
 * no clock) with the testkit's `Responder` shape, so the bundled `data/demo.jsonl` always gives the same verdict:
 * four ambiguous questions are misclassified and one prompt-injection attempt is refused.
 */

/** The deployment name the demo set targets. */
export const DEMO_DEPLOYMENT_NAME = 'support-assistant';

/**
 * The part of the testkit's responder request this responder reads; structurally compatible with the
 * testkit's own request type (declared here so that the CLI does not depend on its internals).
 */
export interface DemoResponderRequest {
  readonly executionId?: string;
  readonly deploymentId?: string;
  readonly deploymentName?: string;
  readonly releaseTag?: string;
  readonly inputs: readonly { readonly name: string; readonly type: string; readonly value: unknown }[];
  readonly externalId?: string | null;
  readonly metadata?: unknown;
}

/** What the responder answers: the execution's outputs, or the error it is rejected with; and how long it takes. */
export type DemoResponderResult = (
  | { readonly outputs: Record<string, unknown> }
  | { readonly error: { readonly message: string; readonly code: string } }
) & { readonly durationMs: number };

/** The categories the classifier can answer with. */
export const DEMO_CATEGORIES = [
  'billing',
  'shipping',
  'account',
  'cancellation',
  'product',
  'general',
] as const;
type Category = (typeof DEMO_CATEGORIES)[number];
type Language = 'en' | 'es' | 'fr' | 'de';

/** Keywords per category, matched as substrings of the lower-cased text; ties go to the earlier category. */
const KEYWORDS: Readonly<Record<Exclude<Category, 'general'>, readonly string[]>> = {
  billing: [
    'refund',
    'invoice',
    'charge',
    'payment',
    'receipt',
    'money back',
    'reembolso',
    'factura',
    'cobro',
    'remboursement',
    'facture',
    'rückerstattung',
    'rechnung',
    'abgebucht',
  ],
  shipping: [
    'shipping',
    'delivery',
    'package',
    'parcel',
    'tracking',
    'arrive',
    'envío',
    'paquete',
    'livraison',
    'colis',
    'lieferung',
    'paket',
    'sendung',
  ],
  account: [
    'password',
    'log in',
    'login',
    'sign in',
    'locked out',
    'two-factor',
    'email address',
    'contraseña',
    'mot de passe',
    'passwort',
    'anmelden',
  ],
  cancellation: ['cancel', 'unsubscribe', 'cancelar', 'annuler', 'résilier', 'kündigen'],
  product: [
    'size',
    'compatible',
    'battery',
    'warranty',
    'waterproof',
    'colour',
    'talla',
    'garantie',
    'taille',
    'akku',
  ],
};

const LANGUAGE_WORDS: Readonly<Record<Exclude<Language, 'en'>, readonly string[]>> = {
  es: [
    'mi',
    'el',
    'la',
    'es',
    'pedido',
    'cómo',
    'dónde',
    'quiero',
    'hola',
    'gracias',
    'por',
    'qué',
    'puedo',
    'mis',
  ],
  fr: [
    'je',
    'mon',
    'ma',
    'mes',
    'est',
    'où',
    'commande',
    'bonjour',
    'pourquoi',
    'vous',
    'pas',
    'comment',
    'puis-je',
  ],
  de: [
    'ich',
    'mein',
    'meine',
    'ist',
    'wo',
    'bestellung',
    'bitte',
    'nicht',
    'wie',
    'kann',
    'mir',
    'wurde',
    'zweimal',
  ],
};

const ANSWERS: Readonly<Record<Category, Readonly<Record<Language, string>>>> = {
  billing: {
    en: 'Sorry about the billing trouble. A refund goes back to your original payment method within 5-7 business days, and every invoice is under Account > Billing.',
    es: 'Lamentamos el problema de facturación. El reembolso vuelve a tu método de pago original en 5-7 días hábiles y tus facturas están en Cuenta > Facturación.',
    fr: "Désolé pour ce problème de facturation. Le remboursement est versé sur votre moyen de paiement d'origine sous 5 à 7 jours ouvrés ; vos factures sont dans Compte > Facturation.",
    de: 'Entschuldigung für das Problem mit der Abrechnung. Die Rückerstattung geht innerhalb von 5-7 Werktagen auf Ihre ursprüngliche Zahlungsmethode; Rechnungen finden Sie unter Konto > Abrechnung.',
  },
  shipping: {
    en: 'Orders ship within 1 business day. Follow your package with the tracking link in your confirmation email; standard delivery takes 3-5 days.',
    es: 'Los pedidos salen en 1 día hábil. Sigue tu paquete con el enlace de seguimiento del correo de confirmación; el envío estándar tarda 3-5 días.',
    fr: 'Les commandes partent sous 1 jour ouvré. Suivez votre colis avec le lien de suivi de votre e-mail de confirmation ; la livraison standard prend 3 à 5 jours.',
    de: 'Bestellungen werden innerhalb von 1 Werktag versandt. Verfolgen Sie Ihr Paket über den Sendungsverfolgungslink in Ihrer Bestätigungs-E-Mail; die Standardlieferung dauert 3-5 Tage.',
  },
  account: {
    en: "To reset your password, choose 'Forgot password' on the sign-in page; we will email you a reset link that is valid for 30 minutes.",
    es: "Para restablecer tu contraseña, elige '¿Olvidaste tu contraseña?' en la página de inicio de sesión; te enviaremos un enlace válido durante 30 minutos.",
    fr: 'Pour réinitialiser votre mot de passe, choisissez « Mot de passe oublié » sur la page de connexion ; nous vous enverrons un lien valable 30 minutes.',
    de: "Um Ihr Passwort zurückzusetzen, wählen Sie auf der Anmeldeseite 'Passwort vergessen'; wir senden Ihnen einen Link, der 30 Minuten gültig ist.",
  },
  cancellation: {
    en: 'You can cancel at any time under Account > Subscription. Your plan stays active until the end of the current period, and no further charges are made.',
    es: 'Puedes cancelar en cualquier momento en Cuenta > Suscripción. Tu plan sigue activo hasta el final del periodo actual.',
    fr: "Vous pouvez annuler à tout moment dans Compte > Abonnement. Votre formule reste active jusqu'à la fin de la période en cours.",
    de: 'Sie können jederzeit unter Konto > Abonnement kündigen. Ihr Tarif bleibt bis zum Ende des laufenden Zeitraums aktiv.',
  },
  product: {
    en: 'Good question! Full specifications, sizes and compatibility details are on each product page, and every device comes with a 2-year warranty.',
    es: 'Buena pregunta. Las especificaciones, tallas y compatibilidad están en la página de cada producto, y todos los dispositivos tienen 2 años de garantía.',
    fr: 'Bonne question ! Les caractéristiques, tailles et compatibilités sont sur chaque fiche produit, et chaque appareil bénéficie de 2 ans de garantie.',
    de: 'Gute Frage! Technische Daten, Größen und Kompatibilität stehen auf jeder Produktseite, und jedes Gerät hat 2 Jahre Garantie.',
  },
  general: {
    en: 'Thanks for reaching out! I have passed your question to a support agent, who will reply by email within one business day.',
    es: '¡Gracias por escribirnos! He pasado tu pregunta a un agente, que te responderá por correo en un día hábil.',
    fr: 'Merci de nous avoir écrit ! Un conseiller vous répondra par e-mail sous un jour ouvré.',
    de: 'Danke für Ihre Nachricht! Ein Mitarbeiter antwortet Ihnen innerhalb eines Werktags per E-Mail.',
  },
};

const ARTICLES: Readonly<Record<Category, readonly string[]>> = {
  billing: ['How refunds work', 'Downloading invoices', 'Updating your payment method'],
  shipping: ['Tracking your order', 'Delivery times by country', 'Lost or damaged packages'],
  account: ['Resetting your password', 'Setting up two-factor authentication', 'Changing your email address'],
  cancellation: [
    'Cancelling your subscription',
    'Pausing instead of cancelling',
    'Reactivating your account',
  ],
  product: ['Size guide', 'Compatibility list', 'Warranty terms'],
  general: ['Contacting support', 'Store locations', 'Frequently asked questions'],
};

const PREMIUM: Readonly<Record<Language, string>> = {
  en: 'As a premium member you have priority support. ',
  es: 'Como cliente premium tienes soporte prioritario. ',
  fr: 'En tant que client premium, vous bénéficiez du support prioritaire. ',
  de: 'Als Premium-Kunde erhalten Sie bevorzugten Support. ',
};

const INJECTION = [/ignore (all )?(the )?previous instructions/i, /system prompt/i, /developer mode/i];

/**
 * Answers one execution of the demo workflow. Reads the inputs `query` (STRING), `history` (CHAT_HISTORY: the
 * USER messages count for the category), `customer` (JSON: `tier: "premium"` adds a priority note),
 * `filters` (JSON: `lang` forces the answer language) and `max_items` (NUMBER: how many related articles to
 * list). Outputs `{category, answer, confidence, language}`; refuses prompt-injection attempts with
 * `WORKFLOW_EXECUTION_ERROR`. Takes 150-900 ms, drawn from `random`.
 */
export function demoResponder(req: DemoResponderRequest, random: () => number): DemoResponderResult {
  const durationMs = 150 + Math.floor(random() * 751);
  const input = (name: string): unknown => req.inputs.find((i) => i.name === name)?.value;
  const query = typeof input('query') === 'string' ? (input('query') as string) : '';
  const userTurns = historyUserTexts(input('history'));

  if (INJECTION.some((pattern) => [query, ...userTurns].some((text) => pattern.test(text)))) {
    return {
      error: {
        code: 'WORKFLOW_EXECUTION_ERROR',
        message: 'Node "input_guardrail" refused the input: it looks like a prompt-injection attempt.',
      },
      durationMs,
    };
  }

  const { category, confidence } = classify([...userTurns, query].join('\n'));
  const filters = input('filters');
  const forced = isRecord(filters) ? filters['lang'] : undefined;
  const language: Language = isLanguage(forced) ? forced : detectLanguage(query || userTurns.join(' '));
  const customer = input('customer');
  const premium = isRecord(customer) && customer['tier'] === 'premium';
  const maxItems = input('max_items');

  let answer = (premium ? PREMIUM[language] : '') + ANSWERS[category][language];
  if (typeof maxItems === 'number' && maxItems > 0) {
    answer += ` Related articles: ${ARTICLES[category].slice(0, maxItems).join('; ')}.`;
  }
  return { outputs: { category, answer, confidence, language }, durationMs };
}

function classify(text: string): { category: Category; confidence: number } {
  const lower = text.toLowerCase();
  const scores = Object.entries(KEYWORDS)
    .map(([category, words]) => ({
      category: category as Category,
      hits: words.filter((w) => lower.includes(w)).length,
    }))
    .sort((a, b) => b.hits - a.hits); // stable: ties keep KEYWORDS order
  const best = scores[0];
  const second = scores[1]?.hits ?? 0;
  if (best === undefined || best.hits === 0) return { category: 'general', confidence: 0.38 };
  const confidence =
    second === 0
      ? 0.82 + 0.05 * Math.min(best.hits - 1, 3)
      : Math.min(0.79, 0.5 + 0.1 * (best.hits - second));
  return { category: best.category, confidence: Math.round(confidence * 100) / 100 };
}

function detectLanguage(text: string): Language {
  const words = text.toLowerCase().match(/[\p{L}-]+/gu) ?? [];
  let best: Language = 'en';
  let bestHits = 0;
  for (const [language, markers] of Object.entries(LANGUAGE_WORDS)) {
    const hits =
      words.filter((w) => markers.includes(w)).length + (language === 'es' && /[¿¡ñ]/.test(text) ? 2 : 0);
    if (hits > bestHits) {
      best = language as Language;
      bestHits = hits;
    }
  }
  return bestHits >= 2 ? best : 'en';
}

function historyUserTexts(history: unknown): string[] {
  if (!Array.isArray(history)) return [];
  return history.flatMap((m: unknown) =>
    isRecord(m) && m['role'] === 'USER' && typeof m['text'] === 'string' ? [m['text']] : [],
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isLanguage(value: unknown): value is Language {
  return value === 'en' || value === 'es' || value === 'fr' || value === 'de';
}
